package journal

import (
	"context"
	"database/sql"
	"errors"
)

// Draft is an event to append: what Append takes, as a value.
type Draft struct {
	Actor   string
	StepID  string
	Type    Type
	Payload any
}

// AppendBatch appends drafts in order in one transaction, each chained to
// the one before exactly as Append chains them, and returns them as
// stored: all are written or none is. One durable commit for many events,
// for a writer that has several to record at once (and for generating large
// journals). RunStarted is reserved for Create.
func (s *Store) AppendBatch(ctx context.Context, drafts []Draft) ([]Event, error) {
	for _, d := range drafts {
		if d.Type == "" {
			return nil, errors.New("journal: append: empty event type")
		}
		if d.Type == RunStarted {
			return nil, errors.New("journal: append: run_started is written by Create only")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, len(drafts))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, d := range drafts {
			ev, err := s.insertEvent(ctx, tx, d.Actor, d.StepID, d.Type, d.Payload)
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
