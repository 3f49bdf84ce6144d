package fault

import (
	"context"
	"fmt"
	"os"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

func init() {
	register(Kind{
		Name: "corrupt-snapshot", Syntax: "corrupt-snapshot:STEP",
		Doc: "Right after snapshot step STEP captured its artefact, tightrope damages it (bytes in the middle of the file are overwritten), " +
			"so a restore of it must detect the damage before it touches the data. File artefacts only in this build (SQLite, pg_dump, mysqldump).",
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
		return journal.FaultPayload{}, false, fmt.Errorf("snapshot %s lives in the server (%s): damaging an in-server snapshot is not supported yet", m.Label, m.Method)
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
