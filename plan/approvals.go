package plan

// The approvals journal: a hash-chained journal beside the runbook
// (RUNBOOK.approvals, mode approvals) whose events are the reviewers'
// sign-offs, each bound to the sha256 of the runbook text approved. An
// approval counts only for that exact text: editing the runbook voids
// them all, and they must be given again.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// ApprovalsPath is where a runbook's approvals journal lives.
func ApprovalsPath(runbookPath string) string { return runbookPath + ".approvals" }

// SHA256 is the hex sha256 of the runbook's text, as approvals name it.
func SHA256(rb *runbooks.Runbook) string {
	sum := sha256.Sum256(rb.Text)
	return hex.EncodeToString(sum[:])
}

// Approve journals name's approval of rb's current text. Approving the
// same text twice is refused: the first approval stands.
func Approve(ctx context.Context, rb *runbooks.Runbook, name, toolVersion string) (journal.Event, error) {
	path := ApprovalsPath(rb.Path)
	lease, err := journal.AcquireLease(path, journal.LeaseOptions{Operator: name}) // one writer at a time, as for any journal
	if err != nil {
		return journal.Event{}, err
	}
	defer lease.Release()
	have, err := Approvals(rb)
	if err != nil {
		return journal.Event{}, err
	}
	if slices.ContainsFunc(have, func(a Approval) bool { return a.Name == name }) {
		return journal.Event{}, fmt.Errorf("%s has already approved this runbook text (sha256 %s)", name, SHA256(rb)[:12])
	}
	var store *journal.Store
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(rb.Path)
		host, _ := os.Hostname()
		store, err = journal.Create(path, journal.RunStartedPayload{
			RunbookText: string(rb.Text), RunbookSHA256: SHA256(rb), RunbookPath: abs,
			ToolVersion: toolVersion, Operator: name, Mode: journal.ModeApprovals, Host: host,
		}, name)
		if err != nil {
			return journal.Event{}, err
		}
	} else if store, err = journal.OpenWriter(path); err != nil {
		return journal.Event{}, err
	}
	defer store.Close()
	return store.Append(ctx, name, "", journal.Approval, journal.ApprovalPayload{Name: name, RunbookSHA256: SHA256(rb)})
}

// Approvals lists the approvals recorded for rb's current text, in the
// order given; none when there is no approvals journal. A journal whose
// chain is broken is refused: its approvals cannot be trusted.
func Approvals(rb *runbooks.Runbook) ([]Approval, error) {
	path := ApprovalsPath(rb.Path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	rep, err := journal.Verify(path)
	if err != nil {
		return nil, fmt.Errorf("approvals journal %s: %w", path, err)
	}
	if rep.BrokenSeq != 0 {
		return nil, fmt.Errorf("approvals journal %s is broken at seq %d (%s): its approvals cannot be trusted", path, rep.BrokenSeq, rep.Reason)
	}
	want := SHA256(rb)
	var out []Approval
	err = journal.ScanDecoded(context.Background(), path, func(e journal.Event, payload any, err error) error {
		if err != nil {
			return err
		}
		switch p := payload.(type) {
		case journal.RunStartedPayload:
			if p.Mode != journal.ModeApprovals {
				return fmt.Errorf("%s is a %s journal, not an approvals journal", path, p.Mode)
			}
		case journal.ApprovalPayload:
			if p.RunbookSHA256 == want && p.Name == e.Actor {
				out = append(out, Approval{Name: p.Name, At: e.At})
			}
		}
		return nil
	})
	return out, err
}

// MissingApprovals names who of the runbook's approvals has not approved
// its current text.
func MissingApprovals(rb *runbooks.Runbook) ([]string, error) {
	have, err := Approvals(rb)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range rb.Approvals {
		if !slices.ContainsFunc(have, func(a Approval) bool { return a.Name == n }) {
			missing = append(missing, n)
		}
	}
	return missing, nil
}
