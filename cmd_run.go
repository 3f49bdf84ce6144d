package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tightrope/tightrope/engine"
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
	"github.com/tightrope/tightrope/tui"
)

// runFlags are the flags shared by run, demo and resume.
type runFlags struct {
	journal    string
	as         string
	plain      bool
	autoDecide string
	onRerun    string
	observer   bool // confirmed up front: not the decision-maker, going on as observer-operator
	keyFile    string
	key        []byte // journal key (HMAC chain); nil for an unkeyed journal
	// retryFailed (resume): the decision-maker retries the failed step of a run that ended failed
	retryFailed bool
	// in is standard input, buffered once and shared by every question
	// asked on it (observer, retry, plain mode's decisions), so no line
	// read ahead is lost between them.
	in         *bufio.Reader
	inTerminal bool // standard input is a terminal (plain mode does not echo what is typed)
	// drill: the faults to inject and what else plain mode prints (cmd_drill.go)
	faults      engine.Faults
	onEvent     func(journal.Event, *journal.State)
	snapshotDir string // "": snapshots beside the journal
}

func (f *runFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.as, "as", loginName(), "who is at the keyboard (only the runbook's decision_maker may decide)")
	cmd.Flags().BoolVar(&f.plain, "plain", false, "print the run as lines instead of the console (default when stdout is not a terminal)")
	cmd.Flags().StringVar(&f.autoDecide, "auto-decide", "", "answer manual steps, gates and triggers for a scripted run: continue | rollback")
	cmd.Flags().StringVar(&f.onRerun, "on-rerun", "", "after a crash, whether a shell/sql step that was running runs again: rerun | skip (default: ask)")
	cmd.Flags().BoolVar(&f.observer, "observer", false, "not the decision-maker: go on as observer-operator without being asked")
	keyFileFlag(cmd, &f.keyFile)
}

func (f *runFlags) validate(cmd *cobra.Command) error {
	f.in = bufio.NewReader(cmd.InOrStdin())
	if r, ok := cmd.InOrStdin().(*os.File); ok {
		f.inTerminal = term.IsTerminal(int(r.Fd()))
	}
	switch f.autoDecide {
	case "", journal.ChoiceContinue, journal.ChoiceRollback:
	default:
		return usageError{fmt.Errorf("--auto-decide must be continue or rollback, not %q", f.autoDecide)}
	}
	switch f.onRerun {
	case "", journal.ChoiceRerun, journal.ChoiceSkip:
	default:
		return usageError{fmt.Errorf("--on-rerun must be rerun or skip, not %q", f.onRerun)}
	}
	if f.as == "" {
		return usageError{fmt.Errorf("--as is empty and the login name is unknown: say who you are")}
	}
	var err error
	if f.key, err = journalKey(f.keyFile); err != nil {
		return err
	}
	hideKey()
	return nil
}

func runCmd() *cobra.Command {
	var f runFlags
	var dry bool
	cmd := &cobra.Command{
		Use:   "run RUNBOOK",
		Short: "Run a runbook in the console, journaling every action",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(cmd); err != nil {
				return err
			}
			rb, err := loadRunbook(args[0])
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if f.journal == "" {
				f.journal = defaultJournalPath(filepath.Dir(args[0]), rb.MigrationID)
			}
			if dry {
				return dryRun(cmd.Context(), rb, f.journal, cmd.OutOrStdout())
			}
			if err := checkApprovals(rb, cmd.OutOrStdout()); err != nil {
				return err
			}
			if f.observer, err = checkRole(rb, f, f.in, cmd.OutOrStdout()); err != nil {
				return err
			}
			return execute(cmd.Context(), rb, f, journal.ModeLive, cmd.OutOrStdout())
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.journal, "journal", "", "journal file to create (default: beside the runbook, named after the migration id and time)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "print every statement, command, snapshot, restore and notification the run would issue, and change nothing")
	return cmd
}

// execute creates the journal, runs the conductor in the console or in
// plain mode, and maps the outcome to an exit code.
func execute(ctx context.Context, rb *runbooks.Runbook, f runFlags, mode string, out io.Writer) error {
	sum := sha256.Sum256(rb.Text)
	host, _ := os.Hostname()
	abs, _ := filepath.Abs(rb.Path)
	lease, err := takeLease(f.journal, f.as, false) // before the first event, held to the end
	if err != nil {
		return err
	}
	defer lease.Release()
	store, err := journal.Create(f.journal, journal.RunStartedPayload{
		RunbookText: string(rb.Text), RunbookSHA256: hex.EncodeToString(sum[:]), RunbookPath: abs,
		ToolVersion: version, Operator: f.as, Mode: mode, Host: host,
	}, f.as, journal.WithSecrets(connectionSecrets(rb)...), journal.WithSecrets(string(f.key)), journal.WithKey(f.key))
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintf(out, "journal: %s\n", f.journal)
	if len(f.key) > 0 {
		fmt.Fprintf(out, "journal chain: %s, key %s (keep the key: the journal verifies and resumes only with it)\n", journal.ChainHMAC, journal.KeyID(f.key))
	}
	err = conduct(ctx, rb, store, journal.Fold([]journal.Event{store.First()}), f, out)
	if errors.Is(err, engine.ErrPreflight) {
		return discardJournal(store, lease, out, err)
	}
	return err
}

// discardJournal removes the journal of a run that failed its pre-flight:
// nothing happened that a journal must remember, and a resume would only
// check again what a new run checks. The lease file goes first, while it
// is still held, so no other writer can take it for the deleted journal.
func discardJournal(store *journal.Store, lease *journal.Lease, out io.Writer, runErr error) error {
	path := store.Path()
	if err := store.Close(); err != nil {
		return errors.Join(runErr, err)
	}
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm", journal.LeasePath(path)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	lease.Release()
	if len(errs) > 0 {
		return errors.Join(append([]error{runErr}, errs...)...)
	}
	fmt.Fprintf(out, "pre-flight failed before the first step: nothing was changed and the journal %s was removed; fix the problems and run again\n", path)
	return runErr
}

// conduct runs a conductor over an open journal, in the console or plain.
func conduct(ctx context.Context, rb *runbooks.Runbook, store *journal.Store, state journal.State, f runFlags, out io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := engine.Options{
		Runbook: rb, Journal: store, State: state, Operator: f.as,
		BaseDir: workDir(rb, store.First()), AutoDecide: f.autoDecide, OnRerun: f.onRerun, Observer: f.observer,
		RetryFailed: f.retryFailed, Faults: f.faults, SnapshotDir: f.snapshotDir,
	}
	plain := wantPlain(f.plain, out)
	var printer *tui.Plain
	if plain {
		printer = tui.NewPlain(out)
		opts.OnEvent = printer.Event
		if f.onEvent != nil {
			opts.OnEvent = func(e journal.Event, s *journal.State) { printer.Event(e, s); f.onEvent(e, s) }
		}
	}
	c := engine.New(opts)
	var outcome string
	var runErr, noAnswer error
	if plain {
		outcome, runErr, noAnswer = runPlain(ctx, c, printer, f, store.Path())
		printer.Summary(c.State())
	} else {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			outcome, runErr = c.Run(ctx)
		}()
		p := tea.NewProgram(tui.New(c, tui.Options{Operator: f.as, Mode: state.Mode, Journal: store.Path(), Initial: &state}), tea.WithContext(ctx))
		if _, err := p.Run(); err != nil && ctx.Err() == nil {
			cancel()
			<-done
			return err
		}
		cancel() // leaving the console interrupts a run still going; it can be resumed
		<-done
		summary(out, c.State())
	}
	if !(state.LastSeq <= 1 && errors.Is(runErr, engine.ErrPreflight)) { // else execute removes the journal
		fmt.Fprintf(out, "journal: %s\n", store.Path())
	}
	if noAnswer != nil && outcome == engine.Interrupted {
		return &exitError{code: exitFailure, err: noAnswer}
	}
	return outcomeError(outcome, runErr, store.Path())
}

// outcomeError maps a run's outcome to the exit code of DESIGN.md.
func outcomeError(outcome string, err error, journalPath string) error {
	switch outcome {
	case journal.OutcomeFinished:
		return nil
	case journal.OutcomeRolledBack:
		if err == nil {
			err = fmt.Errorf("the run was rolled back")
		}
		return &exitError{code: exitRolledBack, err: err}
	case engine.Interrupted:
		return &exitError{code: exitFailure, err: fmt.Errorf("interrupted; the journal is intact: tightrope resume %s", journalPath)}
	case journal.OutcomeAborted:
		return &exitError{code: exitFailure, err: fmt.Errorf("stopped before the end; resume it from the journal: %v", err)}
	}
	return &exitError{code: exitFailure, err: err}
}

// summary prints the per-table counts after the console closes.
func summary(out io.Writer, s journal.State) {
	tui.NewPlain(out).Summary(s)
}

// connectionSecrets are the DSNs and replication conninfos named by the
// runbook's connections: the journal redacts them wherever they would
// appear.
func connectionSecrets(rb *runbooks.Runbook) []string {
	var out []string
	for _, c := range rb.Connections {
		for _, env := range c.SecretEnvs() {
			if v := os.Getenv(env); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

func defaultJournalPath(dir, migrationID string) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s.journal", migrationID, time.Now().UTC().Format("20060102T150405Z")))
}

func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// exactArgs is cobra.ExactArgs with a usage error (exit 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
