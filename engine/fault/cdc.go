package fault

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// The change-capture faults. Each strikes AFTER (default 1s; rows=N on a
// copy step) into step STEP, like the network faults, and acts on the
// server of drill connection CONN: the capture's source (cdc-cut,
// cdc-slot-invalidate, binlog-purge, cdc-ddl, cdc-long-tx) or the apply's
// target (apply-lock). Those that cut CONN need it through the drill's
// relay; the server-side work goes past the relay (Env.direct).

func init() {
	register(Kind{
		Name: "cdc-cut", Syntax: "cdc-cut:CONN@STEP:DURATION[:AFTER]",
		Doc: "The change stream's source CONN runs through tightrope's loopback relay; AFTER (default 1s) into step STEP (a cdc-start or cdc-catchup step) " +
			"every connection through it is reset and new ones are refused for DURATION. The capture must reconnect and resume from its spooled position: " +
			"nothing lost, nothing doubled.",
		Engines: []string{"postgres", "mysql"},
		Parse:   func(args string) (Fault, error) { return parseNetwork("cdc-cut", args) },
	})
	register(Kind{
		Name: "cdc-slot-invalidate", Syntax: "cdc-slot-invalidate:CONN@STEP:DURATION[:AFTER]",
		Doc: "PostgreSQL: AFTER into step STEP the change stream's source CONN is cut through the relay for DURATION, and meanwhile the server's " +
			"max_slot_wal_keep_size is shrunk to 1MB and WAL written, switched and checkpointed until the logical slots of CONN's database are " +
			"invalidated (wal_status lost); the setting is then restored. The capture must report the position lost (cdc_position_lost), never skip. " +
			"Server-wide: it refuses when the server holds slots of other databases or physical slots.",
		Engines: []string{"postgres"},
		Parse:   parseLose(slotLoss),
	})
	register(Kind{
		Name: "binlog-purge", Syntax: "binlog-purge:CONN@STEP:DURATION[:AFTER]",
		Doc: "MySQL/MariaDB: AFTER into step STEP the change stream's source CONN is cut through the relay for DURATION, and meanwhile one transaction " +
			"of the fault's own is written, the server rotates its binary log (FLUSH BINARY LOGS) and purges every older one (PURGE BINARY LOGS TO the newest). The capture must report the " +
			"position lost (cdc_position_lost), never skip. Server-wide: it refuses while another replica reads the binlog.",
		Engines: []string{"mysql"},
		Parse:   parseLose(binlogLoss),
	})
	register(Kind{
		Name: "cdc-ddl", Syntax: "cdc-ddl:CONN@STEP:TABLE[:AFTER]",
		Doc: "AFTER into step STEP, TABLE on the change stream's source CONN gets a new column (ALTER TABLE TABLE ADD COLUMN tightrope_drill_ddl INTEGER): " +
			"the stream meets a changed shape mid-stream and must pause apply and raise a trigger, never apply it blindly.",
		Engines: []string{"postgres", "mysql"},
		Parse: func(args string) (Fault, error) {
			at, rest, err := parseAt(args, "TABLE")
			if err != nil {
				return nil, err
			}
			return &ddl{base: base{"cdc-ddl:" + args}, at: at, table: rest[0]}, nil
		},
	})
	register(Kind{
		Name: "cdc-long-tx", Syntax: "cdc-long-tx:CONN@STEP:TABLE:DURATION[:AFTER]",
		Doc: "AFTER into step STEP a transaction on the change stream's source CONN changes the first row of TABLE (a number column +1 then -1, or a text " +
			"column extended then restored: two changes, no net change) and stays open for DURATION before it commits, while other transactions commit: " +
			"the stream must deliver it whole, in commit order, and the lag sampler must see it open (cdc_lag once it is older than the threshold).",
		Engines: []string{"postgres", "mysql"},
		Parse:   func(args string) (Fault, error) { return parseHold("cdc-long-tx", args) },
	})
	register(Kind{
		Name: "apply-lock", Syntax: "apply-lock:CONN@STEP:TABLE:DURATION[:AFTER]",
		Doc: "AFTER into step STEP, TABLE on the apply's target CONN is locked against writes for DURATION (PostgreSQL LOCK TABLE IN SHARE MODE, " +
			"MySQL LOCK TABLES READ; reads go on): apply stalls, its lag grows, and the stall must be seen.",
		Engines: []string{"postgres", "mysql"},
		Parse:   func(args string) (Fault, error) { return parseHold("apply-lock", args) },
	})
}

// at is where a change-capture fault strikes: CONN@STEP and AFTER.
type at struct {
	conn, step string
	when       trigger
}

// parseAt reads CONN@STEP:ARG...[:AFTER] with the named arguments.
func parseAt(args string, names ...string) (at, []string, error) {
	want := "CONN@STEP:" + strings.Join(names, ":") + "[:AFTER]"
	conn, rest, ok := strings.Cut(args, "@")
	parts := strings.Split(rest, ":")
	if !ok || conn == "" || len(parts) < 1+len(names) || len(parts) > 2+len(names) || parts[0] == "" {
		return at{}, nil, fmt.Errorf("want %s", want)
	}
	a := at{conn: conn, step: parts[0], when: trigger{after: DefaultAfter}}
	vals := parts[1 : 1+len(names)]
	for i, v := range vals {
		if v == "" {
			return at{}, nil, fmt.Errorf("want %s: %s is empty", want, names[i])
		}
	}
	if len(parts) == 2+len(names) {
		t, err := parseTrigger(parts[len(parts)-1])
		if err != nil {
			return at{}, nil, err
		}
		a.when = t
	}
	return a, vals, nil
}

// parseAtFor parses CONN@STEP:DURATION[:AFTER], the spelling of the
// faults that cut a stream's source for a while.
func parseAtFor(args string) (at, time.Duration, error) {
	a, rest, err := parseAt(args, "DURATION")
	if err != nil {
		return at{}, 0, err
	}
	d, err := positiveDuration("DURATION", rest[0])
	return a, d, err
}

func positiveDuration(name, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q is not a duration such as 10s", name, s)
	}
	return d, nil
}

// arm strikes a change-capture fault at its moment: act runs then (in the
// strike's goroutine) and returns what to record, or an error to record.
func (a at) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload), what string, act func(ctx context.Context, when string) (journal.FaultPayload, error)) (bool, error) {
	if step.ID != a.step {
		return false, nil
	}
	env.strikeInto(ctx, a.step, a.when, what, func(rows int64) {
		when := a.when.String() + " step " + a.step
		if rows > 0 {
			when = fmt.Sprintf("once %d rows were committed by step %s", rows, a.step)
		}
		p, err := act(ctx, when)
		if err != nil {
			p = journal.FaultPayload{Target: a.conn, Error: err.Error()}
		}
		if p.At.IsZero() {
			p.At = time.Now().UTC()
		}
		record(p)
	}, func(why string) { record(journal.FaultPayload{Error: why}) })
	return true, nil
}

// cutWhile cuts conn's relay for dur if it has one, and says what it did.
func cutWhile(env *Env, conn string, dur time.Duration) string {
	r := env.Relays[conn]
	if r == nil {
		return "no relay to cut"
	}
	r.Drop(dur)
	return fmt.Sprintf("connection %s cut (reset, new ones refused) for %s", conn, dur)
}

// ddl is cdc-ddl:CONN@STEP:TABLE[:AFTER].
type ddl struct {
	base
	at    at
	table string
}

// DDLColumn is the column cdc-ddl adds.
const DDLColumn = "tightrope_drill_ddl"

func (f *ddl) arm(ctx context.Context, env *Env, step runbooks.Step, record func(journal.FaultPayload)) (bool, error) {
	return f.at.arm(ctx, env, step, record, "the table was not altered", func(ctx context.Context, when string) (journal.FaultPayload, error) {
		d, err := env.direct(ctx, f.at.conn)
		if err != nil {
			return journal.FaultPayload{}, err
		}
		stmt := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s INTEGER", d.Quote(f.table), d.Quote(DDLColumn))
		if _, err := d.SQL().ExecContext(ctx, stmt); err != nil {
			return journal.FaultPayload{}, fmt.Errorf("altering %s on %s: %w", f.table, f.at.conn, err)
		}
		return journal.FaultPayload{Target: f.at.conn + ":" + f.table,
			Detail: fmt.Sprintf("cdc-ddl: %s on %s, %s", stmt, f.at.conn, when)}, nil
	})
}
