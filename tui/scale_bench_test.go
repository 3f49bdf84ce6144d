package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/journal/journalgen"
)

// The console at scale: 1,000 steps and 100,000 rejects (issue 11). The
// state is the fold of a generated journal (journalgen: a real run's
// event mix through the journal's append API), stopped while the last
// copy step runs with every reject counted. The console must take one
// update — the session's Clone, the display escaping, Update, View — in
// well under 100 ms to keep 10 updates a second.
//
//	go test ./tui -run XXX -bench Scale -benchtime 50x

var scaleSpec = journalgen.Spec{Events: 200_000, Steps: 1000, Tables: 20, Rejects: 100_000}

var scaleOnce struct {
	sync.Once
	state journal.State
	err   error
}

// scaleState folds the generated journal up to the moment the last
// reject is counted, once per test binary.
func scaleState(b *testing.B) journal.State {
	b.Helper()
	scaleOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tightrope-scale-")
		if err != nil {
			scaleOnce.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "scale.journal")
		if _, err := journalgen.Generate(context.Background(), path, scaleSpec); err != nil {
			scaleOnce.err = err
			return
		}
		stop := errors.New("stop")
		var s journal.State
		err = journal.ScanDecoded(context.Background(), path, func(e journal.Event, p any, err error) error {
			s.ApplyDecoded(e, p, err)
			if _, _, rejected := s.Totals(); rejected == int64(scaleSpec.Rejects) && s.Current != "" {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			scaleOnce.err = errors.Join(errors.New("the fold never reached every reject with a step running"), err)
		}
		scaleOnce.state = s
	})
	if scaleOnce.err != nil {
		b.Fatal(scaleOnce.err)
	}
	s := scaleOnce.state
	if len(s.Steps) < scaleSpec.Steps {
		b.Fatalf("the state has %d steps, want %d", len(s.Steps), scaleSpec.Steps)
	}
	return s
}

// scaleModel is the console at 160x50 holding the state.
func scaleModel(s journal.State) Model {
	m := New(newFakeSession(), Options{Operator: "lead", Mode: ModeLive, Now: func() time.Time { return s.LastAt }})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	next, _ = next.(Model).Update(stateMsg{State: displayState(s.Clone())})
	return next.(Model)
}

func BenchmarkScaleConsoleUpdate(b *testing.B) {
	s := scaleState(b)
	m := scaleModel(s)
	b.Run("whole", func(b *testing.B) { // what one update costs, end to end
		for b.Loop() {
			next, _ := m.Update(stateMsg{State: displayState(s.Clone())})
			m = next.(Model)
			_ = m.View()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	})
	b.Run("clone", func(b *testing.B) {
		for b.Loop() {
			_ = s.Clone()
		}
	})
	b.Run("display", func(b *testing.B) {
		c := s.Clone()
		for b.Loop() {
			_ = displayState(c)
		}
	})
	b.Run("update", func(b *testing.B) {
		msg := stateMsg{State: displayState(s.Clone())}
		for b.Loop() {
			next, _ := m.Update(msg)
			m = next.(Model)
		}
	})
	b.Run("view", func(b *testing.B) {
		for b.Loop() {
			_ = m.View()
		}
	})
}
