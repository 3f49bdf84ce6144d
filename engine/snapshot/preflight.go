package snapshot

import (
	"context"
	"fmt"
	"os"

	"github.com/tightrope/tightrope/engine/db"
)

// Preflight checks, before a run starts, that a snapshot of d with method
// (the engine's default when empty) can be taken and restored: the method
// exists for the engine, its external tool is on PATH and suits the server
// (pg_dump not older than the server), and the user may create what the
// method creates (MySQL's schema method: a snapshot database). The error
// says which binary, which versions, or which privilege.
func Preflight(ctx context.Context, d db.DB, method string) error {
	sn, m, err := snapshotter(d, method)
	if err != nil {
		return err
	}
	if _, err := sn.PreflightSnapshot(ctx, m.Name); err != nil {
		return fmt.Errorf("snapshot of %s (method %s): %w", d.Describe(), m.Name, err)
	}
	return nil
}

// PreflightDir is Preflight plus, for methods that write a file, a check
// that dir exists (it is created) and accepts a new file.
func PreflightDir(ctx context.Context, d db.DB, method, dir string) error {
	if err := Preflight(ctx, d, method); err != nil {
		return err
	}
	_, m, _ := snapshotter(d, method)
	if m.InServer {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("snapshot directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".preflight-*")
	if err != nil {
		return fmt.Errorf("snapshot directory %s does not accept files: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
