package fault

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/tightrope/tightrope/engine/db"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func init() {
	register(Kind{
		Name: "corrupt-snapshot", Syntax: "corrupt-snapshot:STEP",
		Doc: "Right after snapshot step STEP captured its artefact, tightrope damages it (bytes in the middle of a file overwritten; " +
			"one row deleted from a MySQL in-server snapshot database), so a restore of it must detect the damage before it touches the data " +
			"and fall back to an earlier snapshot, or fail loudly.",
		Engines: []string{"sqlite", "postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			if args == "" {
				return nil, fmt.Errorf("name the snapshot step")
			}
			return &corruptSnapshot{base: base{"corrupt-snapshot:" + args}, step: args}, nil
		},
	})
}

// corruptSnapshot is corrupt-snapshot:STEP.
type corruptSnapshot struct {
	base
	step string
}

// After damages the artefact the step just captured.
func (f *corruptSnapshot) After(ctx context.Context, env *Env, step runbooks.Step, s journal.State) (journal.FaultPayload, bool, error) {
	if step.ID != f.step {
		return journal.FaultPayload{}, false, nil
	}
	var m *journal.SnapshotPayload
	for i := range s.Snapshots {
		if s.Snapshots[i].Step == f.step {
			m = &s.Snapshots[i]
		}
	}
	if m == nil {
		return journal.FaultPayload{}, false, fmt.Errorf("step %s took no snapshot to damage", f.step)
	}
	if m.InServer {
		detail, err := damageInServer(ctx, env, *m)
		if err != nil {
			return journal.FaultPayload{}, false, err
		}
		return journal.FaultPayload{Target: m.Label, Detail: detail}, true, nil
	}
	n, err := damage(m.Artefact)
	if err != nil {
		return journal.FaultPayload{}, false, err
	}
	return journal.FaultPayload{Target: m.Label, Detail: fmt.Sprintf("%d bytes overwritten in the middle of %s", n, m.Artefact)}, true, nil
}

// damage overwrites up to 64 bytes in the middle of the file with their
// complement, so its digest changes whatever the bytes were.
func damage(path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Size() == 0 {
		return 0, fmt.Errorf("%s is empty: nothing to damage", path)
	}
	n := min(int64(64), st.Size())
	off := (st.Size() - n) / 2
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil {
		return 0, err
	}
	for i := range buf {
		buf[i] = ^buf[i]
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		return 0, err
	}
	return int(n), f.Sync()
}

// damageInServer deletes one row of the first non-empty table of a MySQL
// in-server snapshot database, so its checksums no longer match the
// manifest.
func damageInServer(ctx context.Context, env *Env, m journal.SnapshotPayload) (string, error) {
	if m.Driver != db.MySQL {
		return "", fmt.Errorf("snapshot %s lives in the server (%s, %s): only MySQL in-server snapshots can be damaged in this build", m.Label, m.Driver, m.Method)
	}
	d, err := env.DB(ctx, m.Connection)
	if err != nil {
		return "", err
	}
	q := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	for _, t := range m.Tables {
		if t.Rows == 0 {
			continue
		}
		if _, err := d.SQL().ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.%s LIMIT 1", q(m.Artefact), q(t.Table))); err != nil {
			return "", fmt.Errorf("damaging %s: %w", m.Artefact, err)
		}
		return fmt.Sprintf("one row of %s deleted in the snapshot database %s", t.Table, m.Artefact), nil
	}
	return "", fmt.Errorf("snapshot %s holds no rows to damage", m.Label)
}
