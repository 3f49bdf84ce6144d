package journal

// Replicated says a replicate step's replication runs (every table
// synchronised) and the reverse path was proven before any switch.
const Replicated Type = "replicated" // ReplicatedPayload

// ReplicatedPayload is what a replicate step set up and proved.
type ReplicatedPayload struct {
	From   string   `json:"from"` // blue: the live side, published
	To     string   `json:"to"`   // green: the subscriber
	Name   string   `json:"name"` // publication tr_<name>, slots and subscriptions (MariaDB: replica connections) tr_<name>_fwd / _rev
	Tables []string `json:"tables"`
	Copy   bool     `json:"copy"` // the subscription copied the rows
	// SlotLSN is where the forward slot streams from (MariaDB: the GTID
	// position green's replica connection started at); SlotCreated false:
	// the slot (connection) was there (a resumed step).
	SlotLSN     string `json:"slot_lsn"`
	SlotCreated bool   `json:"slot_created"`
	PrepareMS   int64  `json:"prepare_ms"`
	// Reverse is the evidence that To → From can replicate.
	Reverse   []ReverseCheck `json:"reverse"`
	ReverseMS int64          `json:"reverse_ms"`
}

// ReverseCheck is one proven fact about the reverse path.
type ReverseCheck struct {
	What   string `json:"what"`
	Detail string `json:"detail"`
}
