package report

import (
	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// The change-capture triggers the report sets beside their stream.
const (
	trigCDCPositionLost = "cdc_position_lost"
	trigCDCSchemaChange = "cdc_schema_change"
)

// Stream is one change stream of the run (journal.CDCStream, from the
// fold): where it started and ended, what it captured and applied, and
// its lag over time with the moments the cdc_lag trigger fired.
type Stream struct {
	Stream         string                 `json:"stream"`
	Source         string                 `json:"source"`
	Engine         string                 `json:"engine"`
	Tables         []string               `json:"tables"`
	StartedMS      int64                  `json:"started_ms"`       // offset of cdc_stream_started
	Start          string                 `json:"start_position"`   // the first position the stream owns
	Spooled        string                 `json:"spooled_position"` // end of the newest captured transaction
	Applied        string                 `json:"applied_position"` // the target's position at the end
	Txs            int64                  `json:"txs"`
	Changes        int64                  `json:"changes"`
	AppliedTxs     int64                  `json:"applied_txs"`
	AppliedChanges int64                  `json:"applied_changes"`
	Behind         int64                  `json:"behind_txs"` // spooled, not applied, at the end
	Samples        int64                  `json:"samples"`
	MaxLagMS       int64                  `json:"max_lag_ms"` // -1: never measured
	MaxLagAtMS     int64                  `json:"max_lag_at_ms"`
	LastLag        *journal.CDCLagPayload `json:"last_lag,omitempty"`
	// MaxOpenTx: the oldest writing transaction a sample saw open on the
	// source, at MaxOpenTxAtMS (nil: none seen).
	MaxOpenTx     *journal.CDCOpenTx `json:"max_open_tx,omitempty"`
	MaxOpenTxAtMS int64              `json:"max_open_tx_at_ms,omitempty"`
	LagLimitMS    int64              `json:"lag_limit_ms,omitempty"` // the runbook's cdc_lag threshold
	// Lag is the end-to-end lag over the stream, at most
	// journal.CDCHistoryMax+1 points (each the largest it stands for).
	Lag []LagPoint `json:"lag"`
	// LagFiredMS are the moments the cdc_lag trigger fired for it.
	LagFiredMS []int64 `json:"lag_fired_ms"`
	// Alarms are its cdc_position_lost and cdc_schema_change triggers.
	Alarms []Trigger `json:"alarms"`
}

// LagPoint is the stream's lag at an offset from the run's start.
type LagPoint struct {
	OffsetMS    int64 `json:"offset_ms"`
	LagMS       int64 `json:"lag_ms"`
	ApplyLagTxs int64 `json:"apply_lag_txs"`
}

// cdc fills the change streams from the fold, with the triggers that
// name them (their evidence's stream, or none named).
func (b *builder) cdc() {
	var limit int64
	if rb := b.s.Runbook; rb != nil && rb.Triggers.CDCLag != nil {
		limit = ms(*rb.Triggers.CDCLag)
	}
	for _, c := range b.s.CDC {
		st := Stream{
			Stream: c.Stream, Source: c.Source, Engine: c.Engine, Tables: c.Tables, Start: c.Start, Spooled: c.Spooled, Applied: c.Applied,
			Txs: c.Txs, Changes: c.Changes, AppliedTxs: c.AppliedTxs, AppliedChanges: c.AppliedChanges, Behind: c.Behind(),
			Samples: c.Samples, MaxLagMS: c.MaxLagMS, LagLimitMS: limit,
		}
		if !c.StartedAt.IsZero() {
			st.StartedMS = b.offset(c.StartedAt)
		}
		if c.MaxOpenTx != nil {
			st.MaxOpenTx, st.MaxOpenTxAtMS = c.MaxOpenTx, b.offset(c.MaxOpenTxAt)
		}
		if c.MaxLagMS >= 0 {
			st.MaxLagAtMS = b.offset(c.MaxLagAt)
		}
		if c.Lag != nil {
			l := *c.Lag
			st.LastLag = &l
		}
		for _, p := range c.Points() {
			st.Lag = append(st.Lag, LagPoint{OffsetMS: b.offset(p.At), LagMS: p.LagMS, ApplyLagTxs: p.ApplyLagTxs})
		}
		for _, t := range b.r.Decisions.Triggers {
			if !namesStream(t, c.Stream) {
				continue
			}
			switch t.Trigger {
			case runbooks.TriggerCDCLag:
				st.LagFiredMS = append(st.LagFiredMS, t.OffsetMS)
			case trigCDCPositionLost, trigCDCSchemaChange:
				st.Alarms = append(st.Alarms, t)
			}
		}
		b.r.ChangeCapture = append(b.r.ChangeCapture, st)
	}
}

// namesStream: the trigger's evidence names the stream, or names none.
func namesStream(t Trigger, stream string) bool {
	for _, f := range t.Evidence {
		if f.Key == "stream" {
			return f.Value == stream
		}
	}
	return true
}
