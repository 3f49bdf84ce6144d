package bluegreen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/runbooks"
)

func init() {
	Register("mysql", Engine{
		Open: func(ctx context.Context, cfg Config) (Pair, error) {
			p, err := openMariaDB(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return p, nil
		},
		Leftovers: myLeftovers,
	})
}

var _ Pair = (*myPair)(nil)

// myPair is an open MariaDB blue-green pair: green a replica of blue
// through the named replica connection tr_<name>_fwd, blue one of green
// through tr_<name>_rev after a switch.
type myPair struct {
	cfg            Config
	blue, green    *myEnd
	tables         []string // "database.table", as blue resolved them
	reverseChecked bool
}

// myEnd is one side: its control pool (replication statements, reads of
// the server's state) and, opened on first use, the engine/db adapter
// that copies, verifies and syncs counters. Every session tightrope opens
// runs with sql_log_bin = 0: tightrope's own writes on a side (the copy,
// the AUTO_INCREMENT sync) take no GTID and never reach the other side or
// its binlog, so they cannot break gtid_strict_mode on either.
type myEnd struct {
	Side
	dsn      string // go-sql-driver form with sql_log_bin=0
	pool     *sql.DB
	adapter  db.DB
	database string
	serverID int64
	// source is how the other server reaches this one (ConnInfo or DSN).
	source *mysql.Config
}

// openMariaDB connects to both sides and resolves the tables on blue.
func openMariaDB(ctx context.Context, cfg Config) (*myPair, error) {
	p := &myPair{cfg: cfg}
	var err error
	if p.blue, err = openMyEnd(ctx, cfg.Blue); err != nil {
		return nil, err
	}
	if p.green, err = openMyEnd(ctx, cfg.Green); err != nil {
		p.Close(ctx)
		return nil, err
	}
	if p.blue.database != p.green.database {
		p.Close(ctx)
		return nil, fmt.Errorf("%s's DSN names database %s and %s's names %s: MariaDB replication applies a table to the database of the same name, so both sides need one name", p.blue.Name, p.blue.database, p.green.Name, p.green.database)
	}
	for _, name := range cfg.Tables {
		schema, table, ok := strings.Cut(name, ".")
		if !ok {
			schema, table = p.blue.database, name
		}
		var n int
		if err := p.blue.pool.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'`, schema, table).Scan(&n); err != nil {
			p.Close(ctx)
			return nil, fmt.Errorf("table %s on %s: %w", name, p.blue.Name, err)
		}
		if n == 0 {
			p.Close(ctx)
			return nil, fmt.Errorf("table %s is not on %s", name, p.blue.Name)
		}
		p.tables = append(p.tables, schema+"."+table)
	}
	return p, nil
}

// openMyEnd opens the side's control pool and reads its server id. No
// error quotes the DSN or the replication DSN.
func openMyEnd(ctx context.Context, s Side) (*myEnd, error) {
	native, err := db.MySQLNativeDSN(s.DSN)
	if err != nil {
		return nil, fmt.Errorf("%s's DSN does not parse as a MySQL DSN or URL (its text is not shown: it may hold a password)", s.Name)
	}
	c, err := mysql.ParseDSN(native)
	if err != nil {
		return nil, fmt.Errorf("%s's DSN does not parse as a MySQL DSN or URL (its text is not shown: it may hold a password)", s.Name)
	}
	if c.DBName == "" {
		return nil, fmt.Errorf("%s's DSN names no database", s.Name)
	}
	c.Params["sql_log_bin"] = "0"
	e := &myEnd{Side: s, dsn: c.FormatDSN(), database: c.DBName}
	if e.source, err = sourceOf(s, c); err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.Name, scrub(err, c.Passwd, e.source.Passwd))
	}
	e.pool = sql.OpenDB(conn)
	e.pool.SetMaxOpenConns(4)
	if err := e.pool.QueryRowContext(ctx, "SELECT @@GLOBAL.server_id").Scan(&e.serverID); err != nil {
		e.pool.Close()
		return nil, fmt.Errorf("connect to %s: %w", s.Name, scrub(err, c.Passwd, e.source.Passwd))
	}
	return e, nil
}

// sourceOf is how the other server reaches s: its ConnInfo
// (user:pass@tcp(host:port)/), else its DSN. It must be TCP: a replica
// connection has a host and a port.
func sourceOf(s Side, dsn *mysql.Config) (*mysql.Config, error) {
	c := dsn
	if s.ConnInfo != "" {
		var err error
		if c, err = mysql.ParseDSN(s.ConnInfo); err != nil {
			return nil, fmt.Errorf("%s's replication DSN does not parse as user:pass@tcp(host:port)/ (its text is not shown: it may hold a password)", s.Name)
		}
	}
	if c.Net != "tcp" {
		return nil, fmt.Errorf("%s's replication DSN is not tcp(host:port): the other server reaches %s over TCP; set replication_dsn_env to user:pass@tcp(host:port)/", s.Name, s.Name)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, fmt.Errorf("%s's replication DSN has no host:port", s.Name)
	}
	return c, nil
}

// db is the side's engine/db adapter (copy, verify, counters), opened on
// first use with the control pool's settings.
func (e *myEnd) db(ctx context.Context) (db.DB, error) {
	if e.adapter == nil {
		d, err := db.Open(ctx, runbooks.Connection{Name: e.Name, Driver: db.MySQL, Path: e.dsn}, "")
		if err != nil {
			return nil, err
		}
		e.adapter = d
	}
	return e.adapter, nil
}

// Close closes both sides' pools.
func (p *myPair) Close(context.Context) {
	for _, e := range []*myEnd{p.blue, p.green} {
		if e == nil {
			continue
		}
		if e.adapter != nil {
			e.adapter.Close()
			e.adapter = nil
		}
		if e.pool != nil {
			e.pool.Close()
			e.pool = nil
		}
	}
}

// Name is the pair's name.
func (p *myPair) Name() string { return p.cfg.Name }

// Tables are the replicated tables as database.table.
func (p *myPair) Tables() []string { return append([]string(nil), p.tables...) }

// myIdent backtick-quotes one identifier.
func myIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// myTable quotes database.table.
func myTable(qualified string) string {
	schema, table, _ := strings.Cut(qualified, ".")
	return myIdent(schema) + "." + myIdent(table)
}

// myLiteral quotes s as a string literal for the control sessions (their
// sql_mode has no NO_BACKSLASH_ESCAPES: db.MySQLNativeDSN sets it).
func myLiteral(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}

// scrub removes the secrets from an error's text: a server or driver may
// quote a statement that holds one.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		if s != "" {
			lit := myLiteral(s)
			msg = strings.ReplaceAll(msg, lit[1:len(lit)-1], "xxxxx") // as the statement held it
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
