package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tightrope/tightrope/journal"
)

// Limits on what a failure message carries.
const (
	stderrKept = 2048     // bytes of a command's stderr in the error
	stderrRead = 2 * 2048 // read more than kept, so redaction sees whole secrets at the cut
	bodyKept   = 512      // bytes of a webhook's response body in the error
)

// runExec runs command through sh in the base directory, with body on
// stdin, until it exits or ctx ends; then its whole process group is killed.
func (d *Dispatcher) runExec(ctx context.Context, command string, body []byte, e journal.Event) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = d.opts.BaseDir
	cmd.Stdin = bytes.NewReader(body)
	cmd.Env = append(os.Environ(),
		"TIGHTROPE_EVENT="+string(e.Type),
		"TIGHTROPE_SEQ="+strconv.FormatInt(e.Seq, 10),
		"TIGHTROPE_MIGRATION_ID="+d.opts.MigrationID,
		"TIGHTROPE_MODE="+d.opts.Mode,
	)
	stderr := &head{max: stderrRead}
	cmd.Stderr = stderr
	ownProcessGroup(cmd)
	// A grandchild that keeps stderr open must not hold Wait forever.
	cmd.WaitDelay = time.Second

	err := cmd.Run()
	if err == nil || (ctx.Err() == nil && cmd.ProcessState != nil && cmd.ProcessState.Success()) {
		return nil
	}
	if cerr := d.ctxErr(ctx); cerr != nil {
		err = cerr
	}
	if text := d.clip(stderr.String(), stderrKept); text != "" {
		return fmt.Errorf("%w: %s", err, text)
	}
	return err
}

// post sends body to the webhook, once more after retryDelay when the first
// attempt met a network error or a 5xx and ctx leaves time for it.
func (d *Dispatcher) post(ctx context.Context, target string, body []byte) error {
	again, err := d.postOnce(ctx, target, body)
	if err == nil || !again {
		return err
	}
	if end, ok := ctx.Deadline(); ok && time.Until(end) < d.retryDelay {
		return fmt.Errorf("%w; no time left to retry", err)
	}
	t := time.NewTimer(d.retryDelay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w; no retry: %w", err, d.ctxErr(ctx))
	case <-t.C:
	}
	if _, err2 := d.postOnce(ctx, target, body); err2 != nil {
		return fmt.Errorf("%w; retry: %w", err, err2)
	}
	return nil
}

// postOnce makes one POST; again says whether the failure is worth a retry.
func (d *Dispatcher) postOnce(ctx context.Context, target string, body []byte) (again bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tightrope")
	resp, err := d.client.Do(req)
	if err != nil {
		if cerr := d.ctxErr(ctx); cerr != nil {
			return false, cerr
		}
		var ue *url.Error // its message repeats the URL, which may hold a token
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, bodyKept))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	err = fmt.Errorf("HTTP %s", resp.Status)
	if text := d.clip(string(snippet), bodyKept); text != "" {
		err = fmt.Errorf("HTTP %s: %s", resp.Status, text)
	}
	return resp.StatusCode >= 500, err
}

// ctxErr names why ctx ended, or is nil while it runs.
func (d *Dispatcher) ctxErr(ctx context.Context) error {
	switch {
	case ctx.Err() == nil:
		return nil
	case d.ctx.Err() != nil:
		return errClosed
	default:
		return fmt.Errorf("timed out after %s", d.opts.Timeout)
	}
}

// clip redacts s, trims it and cuts it to at most n bytes on a rune
// boundary.
func (d *Dispatcher) clip(s string, n int) string {
	s = strings.TrimSpace(journal.RedactText(strings.ToValidUTF8(s, "\uFFFD"), d.opts.Secrets))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// head keeps the first max bytes written to it and discards the rest,
// without ever failing the writer.
type head struct {
	max int
	buf bytes.Buffer
}

func (h *head) Write(p []byte) (int, error) {
	if room := h.max - h.buf.Len(); room > 0 {
		h.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (h *head) String() string { return h.buf.String() }
