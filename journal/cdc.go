package journal

import (
	"fmt"
	"time"

	"github.com/tightrope/tightrope/internal/safetext"
)

// Change capture events: a stream is opened once (its slot, and the source's
// identity the positions belong to), then every captured source transaction
// is spooled as one CDCChanges event before the source is told it was
// received. The chain binds the changes; their fold is the stream's position.
const (
	CDCStreamStarted Type = "cdc_stream_started" // CDCStreamPayload
	CDCChanges       Type = "cdc_changes"        // CDCChangesPayload
	// CDCApplied: spooled transactions committed on the target, up to a
	// journal seq (the applied position is in the same target transaction).
	CDCApplied Type = "cdc_applied" // CDCAppliedPayload
	// CDCLagSample: one measurement of a stream's lag and headroom, taken
	// while it runs (every few seconds) and judged by the cdc_lag trigger.
	CDCLagSample Type = "cdc_lag_sample" // CDCLagPayload
	// CDCCopyLive: a copy of captured tables read the live tables, not the
	// stream's snapshot (it ended with a killed process), journaled when
	// that copy has finished, before its step does.
	CDCCopyLive Type = "cdc_copy_live" // CDCCopyLivePayload
)

// CDCCopyLivePayload records the decision of a copy step to read a
// stream's tables live, why, and how far the source's log had got when
// the live reads were over: the stream's replay by key from its start
// converges over rows read live, and a change committed before Head may
// find a row the live read no longer saw (deleted or moved on the source
// since) — the applier passes over such a row for these tables only.
type CDCCopyLivePayload struct {
	Stream string   `json:"stream"`
	Tables []string `json:"tables"`
	Reason string   `json:"reason"`
	// Head is the source's log position (PostgreSQL: the WAL insert LSN
	// as a byte offset) once every live read was over; -1 if unknown.
	Head int64 `json:"head"`
}

// CDCAppliedPayload says a stream's target has committed every spooled
// transaction up to journal seq Seq (source position Position).
type CDCAppliedPayload struct {
	Stream   string `json:"stream"`
	Target   string `json:"target"` // the runbook connection applied to
	Seq      int64  `json:"seq"`
	Position string `json:"position"`
	Txs      int    `json:"txs"`     // transactions applied since the last cdc_applied
	Changes  int    `json:"changes"` // row changes in them
}

// CDCLagPayload is one lag measurement of a stream. A figure the engine
// could not measure is -1.
type CDCLagPayload struct {
	Stream string `json:"stream"`
	// SourceLagBytes: the source's current log position minus the spooled
	// one; SourceLagMS: now minus the commit time of the newest spooled
	// transaction when the source has more, else 0.
	SourceLagBytes int64 `json:"source_lag_bytes"`
	SourceLagMS    int64 `json:"source_lag_ms"`
	// ApplyLagTxs: spooled transactions not yet applied; ApplyLagMS: now
	// minus the source commit time of the oldest unapplied one (0 if none).
	ApplyLagTxs int64 `json:"apply_lag_txs"`
	ApplyLagMS  int64 `json:"apply_lag_ms"`
	// LagMS is the end-to-end lag the cdc_lag trigger judges: now minus the
	// source commit time of the oldest change not yet on the target.
	LagMS int64 `json:"lag_ms"`
	// Trend: "converging", "steady" or "diverging" over the recent samples;
	// ETAMS the predicted time to zero lag when converging, else -1.
	Trend string `json:"trend,omitempty"`
	ETAMS int64  `json:"eta_ms"`
	// Headroom: PostgreSQL wal_status and safe_wal_size of the slot; MySQL
	// the oldest binlog still on the server against the saved position.
	WALStatus     string `json:"wal_status,omitempty"`
	HeadroomBytes int64  `json:"headroom_bytes"`
	OldestLog     string `json:"oldest_log,omitempty"`
	// OpenTx is the oldest transaction open on the source that has
	// written (nil: none, or a journal from before it was read): its
	// changes are not in the log until it commits, then arrive at once.
	OpenTx *CDCOpenTx `json:"open_tx,omitempty"`
}

// CDCOpenTx is a writing transaction still open on a stream's source.
type CDCOpenTx struct {
	// AgeMS: now minus the transaction's start. PID: the server's
	// session (PostgreSQL backend pid, MariaDB thread id).
	AgeMS int64 `json:"age_ms"`
	PID   int64 `json:"pid"`
	// App: the session's application_name (PostgreSQL; sanitized), State
	// its state ("idle in transaction", "RUNNING").
	App   string `json:"app,omitempty"`
	State string `json:"state,omitempty"`
	// Rows: rows it has modified (MariaDB); -1 unknown.
	Rows int64 `json:"rows"`
}

// Text words the transaction: "open 12s on pid 4242 (app 'x'), 3 rows
// modified". The app name is escaped for a terminal.
func (o CDCOpenTx) Text() string {
	s := fmt.Sprintf("open %s on pid %d", (time.Duration(o.AgeMS) * time.Millisecond).Round(100*time.Millisecond), o.PID)
	if o.App != "" {
		s += fmt.Sprintf(" (app '%s')", safetext.Line(o.App))
	}
	if o.State != "" {
		s += ", " + safetext.Line(o.State)
	}
	if o.Rows >= 0 {
		s += fmt.Sprintf(", %d rows modified", o.Rows)
	}
	return s
}

// CDCStreamPayload opens a change stream: where it reads and the identity
// of the source its positions mean something on.
type CDCStreamPayload struct {
	Stream      string   `json:"stream"` // the stream's name; the PostgreSQL slot's name
	Source      string   `json:"source"` // the runbook connection captured
	Engine      string   `json:"engine"` // postgres | mysql
	Tables      []string `json:"tables"` // captured tables (the publication's)
	Publication string   `json:"publication,omitempty"`
	SystemID    string   `json:"system_id,omitempty"` // PostgreSQL IDENTIFY_SYSTEM systemid
	Timeline    int64    `json:"timeline,omitempty"`  // PostgreSQL timeline at creation
	// Start is the first position the stream owns (PostgreSQL: the slot's
	// consistent point); changes committed before it are the snapshot's.
	Start    string `json:"start"`
	Snapshot string `json:"snapshot,omitempty"` // exported snapshot the bulk copy reads
	// Shapes is each captured table's shape when the stream started
	// (PostgreSQL: columns, types and key as pgoutput describes them): a
	// restarted capture compares the relations it is sent with it, so a
	// table altered while nothing captured is a schema change too.
	Shapes map[string]string `json:"shapes,omitempty"`
	// BinaryMarked: the stream's changes name their byte columns
	// (CDCChange.Binary). A stream journaled before they did leaves an
	// applier to recognise a PostgreSQL bytea by its \x text alone.
	BinaryMarked bool `json:"binary_marked,omitempty"`
}

// CDCChangesPayload is one captured source transaction, in source order.
type CDCChangesPayload struct {
	Stream string `json:"stream"`
	// Position is where the transaction ends on the source (PostgreSQL: the
	// commit's end LSN, as 16/B374D848): a restart resumes after it.
	Position string      `json:"position"`
	Commit   string      `json:"commit,omitempty"` // the commit record's position
	XID      int64       `json:"xid,omitempty"`
	At       time.Time   `json:"at"` // commit time on the source
	Changes  []CDCChange `json:"changes"`
}

// CDCChange is one row change. Values are the source's text forms, nil for
// NULL; Columns names New's values. Key holds the old key (KeyColumns) for an
// update or delete: the row the change applies to. Text is always valid
// UTF-8 (the journal is JSON); the values of the columns named in Binary
// (in New and Key alike) are bytes, spelled as PostgreSQL's bytea text:
// \x and two lower-case hex digits a byte.
type CDCChange struct {
	Op         string    `json:"op"` // insert | update | delete
	Table      string    `json:"table"`
	Columns    []string  `json:"columns,omitempty"`
	New        []*string `json:"new,omitempty"`
	Unchanged  []string  `json:"unchanged,omitempty"` // columns whose value the source did not send (TOAST kept as is)
	KeyColumns []string  `json:"key_columns,omitempty"`
	Key        []*string `json:"key,omitempty"`
	Binary     []string  `json:"binary,omitempty"` // columns whose values are bytes in \x hex
}
