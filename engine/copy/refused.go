package copy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// write loads a converted batch with its checkpoint m and returns how many
// of its rows the target refused. When the batch fails because the target
// refuses a row (db.Refused) — and the checkpoint does not show the batch
// already in (see load) — the batch is loaded again in one transaction
// without the refused rows, which go to the sink's rejects with the reason
// convert.ReasonTargetRefused before that transaction commits, with the
// checkpoint's counts moved from written to rejected. Nothing of the batch
// is committed before its checkpoint, so a copy stopped at any point
// resumes without duplicates or gaps.
func write(ctx context.Context, dst db.DB, sink Sink, p *Plan, rows [][]any, m db.Marker) (refused int, err error) {
	err = load(ctx, dst, sink, p, rows, m)
	if err == nil || ctx.Err() != nil {
		return 0, err
	}
	if _, ok := db.Refused(err); !ok {
		return 0, err
	}
	err = retry(ctx, sink, p.Name, "setting refused rows aside", func(ctx context.Context) error {
		got, found, err := dst.Progress(ctx, m.CopyID, m.Table)
		if err != nil {
			return err
		}
		if found && got.Read >= m.Read {
			// The batch is already in: a lost commit of it had landed.
			refused = int(max(got.Rejected-m.Rejected, 0))
			return nil
		}
		err = dst.LoadRefusing(ctx, p.Target, p.Cols, rows, func(rs []db.Refusal) (db.Marker, error) {
			refused = len(rs)
			if len(rs) == 0 {
				return m, nil
			}
			// A lost commit of this batch that landed after the check above
			// makes every row a duplicate: the checkpoint tells, again.
			if got, found, err := dst.Progress(ctx, m.CopyID, m.Table); err != nil {
				return db.Marker{}, err
			} else if found && got.Read >= m.Read {
				refused = int(max(got.Rejected-m.Rejected, 0))
				return db.Marker{}, errLanded
			}
			rejects := make([]Rejected, len(rs))
			for i, r := range rs {
				rejects[i] = refusedReject(p, rows[r.Index], r)
			}
			if err := sink.Rejects(ctx, p.Name, rejects); err != nil {
				return db.Marker{}, fmt.Errorf("recording rows refused by the target: %w", err)
			}
			out := m
			out.Written -= int64(len(rs))
			out.Rejected += int64(len(rs))
			return out, nil
		})
		if errors.Is(err, errLanded) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return refused, nil
}

// errLanded abandons setting refused rows aside: the batch is already in.
var errLanded = errors.New("the batch is already written")

// refusedReject is a row the target refused, as a reject: its values are
// the converted ones (each equal to its source value, as conversion
// guarantees), the detail names the rule and quotes the server.
func refusedReject(p *Plan, row []any, r db.Refusal) Rejected {
	key := make(map[string]any, p.KeyCount)
	whole := make(map[string]any, len(row))
	for i, v := range row {
		jv := JSONValue(v)
		whole[p.Cols[i]] = jv
		if i < p.KeyCount {
			key[p.Cols[i]] = jv
		}
	}
	detail := "refused by the target: " + r.Message()
	if r.Rule != "" {
		detail = "refused by the target (" + r.Rule + "): " + r.Message()
	}
	column, _ := strings.CutPrefix(r.Rule, "NOT NULL on ")
	if column == r.Rule {
		column = ""
	}
	return Rejected{Key: key, Row: whole, Column: column, Reason: convert.ReasonTargetRefused, Detail: detail}
}
