package journal

// Freeze, sequence and switch events. A freeze is journaled before writes
// are stopped (what will be revoked, or the read_only values it replaces),
// so an unfreeze — by a step, a failed switch or a rollback, in this
// process or a resumed one — restores exactly that; writes_frozen says the
// freeze is in force; unfreeze closes it.
const (
	Freeze          Type = "freeze"           // FreezePayload: written before writes are stopped
	WritesFrozen    Type = "writes_frozen"    // FrozenPayload: the freeze is in force
	Unfreeze        Type = "unfreeze"         // UnfreezePayload: written after writes were restored
	SequencesSynced Type = "sequences_synced" // SequencesPayload
	SwitchCheck     Type = "switch_check"     // SwitchCheckPayload: one precondition of a switch
	Switched        Type = "switched"         // SwitchPayload: a switch (or switch-back) ended
)

// Freeze methods.
const (
	FreezeRevoke   = "revoke"    // PostgreSQL: write privileges revoked, writing backends terminated
	FreezeReadOnly = "read_only" // MySQL/MariaDB: SET GLOBAL read_only (and super_read_only)
)

// FreezePayload records a freeze before anything changes.
type FreezePayload struct {
	Conn   string   `json:"conn"`   // the runbook connection frozen
	Driver string   `json:"driver"` // postgres | mysql
	Method string   `json:"method"` // FreezeRevoke | FreezeReadOnly
	Tables []string `json:"tables,omitempty"`
	// Role is the role tightrope connects as (PostgreSQL): it keeps its
	// privileges, so tightrope's own writes still work.
	Role string `json:"role,omitempty"`
	// Revoked is every write privilege taken away, exactly as an unfreeze
	// grants it back.
	Revoked []Grant `json:"revoked,omitempty"`
	// Executes is every EXECUTE privilege taken away from a SECURITY
	// DEFINER routine whose owner keeps write access to the tables (a
	// caller would write them as that owner), and Members every
	// membership in tightrope's own role taken away (a member writes as
	// tightrope); an unfreeze gives both back exactly.
	Executes []Execute    `json:"executes,omitempty"`
	Members  []Membership `json:"members,omitempty"`
	// PrevReadOnly and PrevSuperReadOnly are the global values the freeze
	// replaced ("0" or "1"); PrevSuperReadOnly is "" on a server without
	// super_read_only (MariaDB).
	PrevReadOnly      string `json:"prev_read_only,omitempty"`
	PrevSuperReadOnly string `json:"prev_super_read_only,omitempty"`
	// Rollback: the freeze was made by a rollback step; the automatic
	// unfreeze at the end of a rollback leaves it alone.
	Rollback bool `json:"rollback,omitempty"`
	// Pair: the freeze of a blue-green side (a replica, or the old side
	// after a switch), which only the pair's switch or switch-back
	// undoes: the automatic unfreeze at the end of a rollback leaves it
	// alone, or a replica would take the application's writes.
	Pair bool `json:"pair,omitempty"`
}

// Grant is one privilege of one role on one table. Role "PUBLIC" is every
// role.
type Grant struct {
	Role      string `json:"role"`
	Table     string `json:"table"`
	Privilege string `json:"privilege"` // INSERT | UPDATE | DELETE | TRUNCATE
	Grantable bool   `json:"grantable,omitempty"`
}

// Execute is one role's EXECUTE privilege on one routine. Routine is its
// signature as PostgreSQL prints it (regprocedure), Role "PUBLIC" every
// role.
type Execute struct {
	Role      string `json:"role"`
	Routine   string `json:"routine"`
	Grantable bool   `json:"grantable,omitempty"`
}

// Membership is one role's membership in another (PostgreSQL
// pg_auth_members). Inherit and Set are nil on a server before 16, where
// a membership has no such options of its own.
type Membership struct {
	Role    string `json:"role"`    // the role belonged to
	Member  string `json:"member"`  // the role that belongs to it
	Grantor string `json:"grantor"` // who granted it
	Admin   bool   `json:"admin,omitempty"`
	Inherit *bool  `json:"inherit,omitempty"`
	Set     *bool  `json:"set,omitempty"`
}

// FrozenPayload says the freeze journaled at seq Of is in force.
type FrozenPayload struct {
	Conn       string    `json:"conn"`
	Of         int64     `json:"of"`                   // the freeze event's seq
	Terminated []Backend `json:"terminated,omitempty"` // sessions ended because they were writing
	// Warnings: what the freeze cannot bind (a superuser connected, ...).
	Warnings   []string `json:"warnings,omitempty"`
	DurationMS int64    `json:"duration_ms"`
}

// Backend is one database session.
type Backend struct {
	PID  int64  `json:"pid"`
	Role string `json:"role"`
	App  string `json:"app,omitempty"`
}

// UnfreezePayload says writes are back on a connection: the freeze at seq
// Of was undone.
type UnfreezePayload struct {
	Conn       string       `json:"conn"`
	Of         int64        `json:"of"`
	Regranted  []Grant      `json:"regranted,omitempty"`
	Executes   []Execute    `json:"executes,omitempty"`  // EXECUTE privileges given back
	Members    []Membership `json:"members,omitempty"`   // memberships given back
	ReadOnly   string       `json:"read_only,omitempty"` // the value restored
	Reason     string       `json:"reason"`              // "step", "switch aborted: ...", "rollback"
	DurationMS int64        `json:"duration_ms"`
}

// SequencesPayload lists the sequences and AUTO_INCREMENT counters a sync
// looked at on a connection.
type SequencesPayload struct {
	Conn string         `json:"conn"`
	Sets []SequenceSync `json:"sets"`
}

// SequenceSync is one counter: Next is what the next insert would have
// taken before the sync, NextAfter after it (equal when nothing changed).
type SequenceSync struct {
	Table     string `json:"table"`
	Column    string `json:"column"`
	Sequence  string `json:"sequence,omitempty"` // PostgreSQL sequence name
	Max       *int64 `json:"max"`                // the column's largest value; nil: no rows
	Next      int64  `json:"next"`
	NextAfter int64  `json:"next_after"`
	// Other is what the same sequence on the old side would hand out
	// next (a blue-green switch, where the new side's counter must pass
	// it); nil when the other side was not read.
	Other *int64 `json:"other,omitempty"`
}

// A blue-green switch journals each of its phases as a switch_check too,
// as it ends: CheckReverse and CheckGo before the freeze, then
// CheckFrozen, CheckDrained, CheckVerify, CheckDetach, CheckReplicate,
// CheckSequences, CheckRoute and CheckUnfrozen.
const (
	CheckDetach    = "detach"    // the old direction's subscription and slot dropped
	CheckReplicate = "replicate" // the new direction started; the detail names its slot's LSN
	CheckRoute     = "route"     // the routing hook ran
	CheckUnfrozen  = "unfrozen"  // the new live side takes writes
)

// Switch preconditions, in the order a switch checks them.
const (
	CheckFrozen    = "frozen"    // writes frozen on the old side
	CheckDrained   = "drained"   // change capture drained
	CheckSequences = "sequences" // sequences and AUTO_INCREMENT synced
	CheckVerify    = "verify"    // the switch's tables verified equal
	CheckGo        = "go"        // the decision-maker said go
	// CheckReverse: the way back is proven — strategy cdc: the stream back
	// to the old side is ready; blue-green: the reverse path proven again.
	CheckReverse = "reverse"
	// CheckReversePath: a blue-green switch through tightrope's capture
	// proved, before writes stopped, that its way back can work (the new
	// side can be captured, the old side applied to).
	CheckReversePath = "reverse-path"
)

// SwitchCheckPayload is one precondition of a switch, passed or failed.
type SwitchCheckPayload struct {
	Check      string `json:"check"`
	OK         bool   `json:"ok"`
	Detail     string `json:"detail"`
	DurationMS int64  `json:"duration_ms"`
}

// SwitchPayload ends a switch: the hook ran (OK) or the switch was aborted
// (Error says why; the hook did not run unless HookMS > 0). Back: a
// switch-back (the switch's undo, run by a rollback).
type SwitchPayload struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Back    bool   `json:"back,omitempty"`
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	HookMS  int64  `json:"hook_ms"`
	TotalMS int64  `json:"total_ms"`
	// Blue-green (a switch with replication): FrozenMS is how long the
	// application could not write (the old side's freeze to the new
	// side's unfreeze; 0 when the switch did not get there); ReplicaLSN
	// where the new direction's slot starts; Live the side left live
	// and writable.
	FrozenMS   int64  `json:"frozen_ms,omitempty"`
	ReplicaLSN string `json:"replica_lsn,omitempty"`
	Live       string `json:"live,omitempty"`
}
