package journal

import "time"

// Change capture events: a stream is opened once (its slot, and the source's
// identity the positions belong to), then every captured source transaction
// is spooled as one CDCChanges event before the source is told it was
// received. The chain binds the changes; their fold is the stream's position.
const (
	CDCStreamStarted Type = "cdc_stream_started" // CDCStreamPayload
	CDCChanges       Type = "cdc_changes"        // CDCChangesPayload
)

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
// update or delete: the row the change applies to.
type CDCChange struct {
	Op         string    `json:"op"` // insert | update | delete
	Table      string    `json:"table"`
	Columns    []string  `json:"columns,omitempty"`
	New        []*string `json:"new,omitempty"`
	Unchanged  []string  `json:"unchanged,omitempty"` // columns whose value the source did not send (TOAST kept as is)
	KeyColumns []string  `json:"key_columns,omitempty"`
	Key        []*string `json:"key,omitempty"`
}
