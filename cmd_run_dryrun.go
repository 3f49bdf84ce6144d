package main

import (
	"context"
	"io"
	"path/filepath"

	"github.com/tightrope/tightrope/engine/dryrun"
	"github.com/tightrope/tightrope/runbooks"
)

// dryRun prints what `run` would do and changes nothing: no journal, no
// lease, no snapshot directory; the databases are only read.
func dryRun(ctx context.Context, rb *runbooks.Runbook, journalPath string, out io.Writer) error {
	if abs, err := filepath.Abs(journalPath); err == nil {
		journalPath = abs
	}
	return dryrun.Print(ctx, out, dryrun.Options{
		Runbook: rb, Journal: journalPath, SnapshotDir: filepath.Join(filepath.Dir(journalPath), "snapshots"),
		Secrets: connectionSecrets(rb),
	})
}
