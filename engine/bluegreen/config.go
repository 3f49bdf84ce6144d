package bluegreen

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Side is one of the two databases.
type Side struct {
	// Name is how messages call the side: "blue", "green".
	Name string
	// Driver is the side's runbook driver, which chooses the
	// implementation (Register): "postgres" (also ""), "mysql".
	Driver string
	// DSN is how tightrope connects to the side. PostgreSQL: a role that
	// may create publications, slots and subscriptions (PostgreSQL 15: a
	// superuser) and owns the tables. MariaDB: an account with SUPER (or
	// REPLICATION SLAVE ADMIN, BINLOG ADMIN and READ_ONLY ADMIN).
	DSN string
	// ConnInfo is how the other side's server reaches this one. PostgreSQL:
	// written into the other side's subscription (a libpq conninfo or URI,
	// with a role that has REPLICATION and may read the tables). MariaDB:
	// user:pass@tcp(host:port)/, the other server's MASTER_HOST, _PORT,
	// _USER and _PASSWORD (an account with REPLICATION SLAVE). Empty: DSN.
	ConnInfo string
}

func (s Side) conninfo() string {
	if s.ConnInfo != "" {
		return s.ConnInfo
	}
	return s.DSN
}

// Config is one blue-green pair.
type Config struct {
	// Name names the replication objects: PostgreSQL, publication
	// tr_<Name>, slots and subscriptions tr_<Name>_fwd (blue → green) and
	// tr_<Name>_rev (green → blue); MariaDB, the replica connections
	// tr_<Name>_fwd on green and tr_<Name>_rev on blue. Lower-case
	// letters, digits and _ only.
	Name  string
	Blue  Side
	Green Side
	// Tables are the replicated tables, "table" or "schema.table", the
	// same on both sides.
	Tables []string
	// CopyData: the forward subscription copies the tables' rows first
	// (green empty). False: green already holds blue's rows as of the
	// forward slot's start — the slot created before tightrope's own copy,
	// which read from the slot's snapshot; Prepare uses a forward slot that
	// is already there.
	//
	// MariaDB: true, Prepare copies blue's tables into an empty green from
	// one consistent snapshot and starts green at that snapshot's GTID
	// position; false, green already holds blue's rows as of StartGTID.
	CopyData bool
	// StartGTID (MariaDB, CopyData false): the GTID position green's rows
	// are from — BINLOG_GTID_POS of the consistent snapshot tightrope's
	// copy read blue through (a cdc-start's stream start).
	StartGTID string
	// Freezer stops and restores the application's writes on a side.
	// Nil: no freeze (the caller freezes).
	Freezer Freezer
	// SyncTimeout bounds Prepare's wait for the initial sync; CatchUpTimeout
	// a switch's wait for the last change. Zero: 5 minutes and 30 seconds.
	SyncTimeout    time.Duration
	CatchUpTimeout time.Duration
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

func (c Config) check() error {
	if !nameRE.MatchString(c.Name) {
		return fmt.Errorf("blue-green name %q: lower-case letters, digits and _, starting with a letter, at most 41 characters", c.Name)
	}
	if c.Blue.DSN == "" || c.Green.DSN == "" {
		return errors.New("blue-green needs a connection to blue and to green")
	}
	if len(c.Tables) == 0 {
		return errors.New("blue-green needs at least one table")
	}
	return nil
}

// parses fails, without quoting them, unless the side's DSN and the
// conninfo the other side is given parse: a malformed one is quoted by
// pgx (its password masked, but only up to a space) and by the server
// that parses a subscription's conninfo ("missing "=" after "…"") —
// part of a password no redaction knows.
func (s Side) parses() error {
	if _, err := pgconn.ParseConfig(s.DSN); err != nil {
		return fmt.Errorf("%s's DSN does not parse as a PostgreSQL URL or key=value conninfo (its text is not shown: it may hold a password; quote a value with spaces in '…')", s.Name)
	}
	if s.ConnInfo != "" {
		if _, err := pgconn.ParseConfig(s.ConnInfo); err != nil {
			return fmt.Errorf("%s's replication conninfo does not parse as a PostgreSQL URL or key=value conninfo (its text is not shown: it may hold a password; quote a value with spaces in '…')", s.Name)
		}
	}
	return nil
}

func (c Config) publication() string { return "tr_" + c.Name }

// ForwardName is the slot and subscription name of blue → green.
func (c Config) ForwardName() string { return "tr_" + c.Name + "_fwd" }

// probeName is CheckReverse's probe: a subscription (PostgreSQL) or a
// replica connection (MariaDB) on blue, dropped as soon as it proved the
// way back.
func (c Config) probeName() string { return "tr_" + c.Name + "_probe" }

// ReverseName is the slot and subscription name of green → blue.
func (c Config) ReverseName() string { return "tr_" + c.Name + "_rev" }

func (c Config) syncTimeout() time.Duration {
	if c.SyncTimeout > 0 {
		return c.SyncTimeout
	}
	return 5 * time.Minute
}

func (c Config) catchUpTimeout() time.Duration {
	if c.CatchUpTimeout > 0 {
		return c.CatchUpTimeout
	}
	return 30 * time.Second
}
