package bluegreen

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

func init() {
	Register("postgres", Engine{
		Open: func(ctx context.Context, cfg Config) (Pair, error) {
			p, err := openPostgres(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return p, nil
		},
		Leftovers: pgLeftovers,
	})
}

var _ Pair = (*pgPair)(nil)

// pgPair is an open PostgreSQL blue-green pair: one connection to each side. Its
// methods are not safe for concurrent use.
type pgPair struct {
	cfg    Config
	blue   *end
	green  *end
	tables []table
	// reverseChecked: CheckReverse passed on this Pair.
	reverseChecked bool
}

// end is one side and tightrope's connection to it.
type end struct {
	Side
	conn *pgx.Conn
	pool *sql.DB // the same settings as database/sql, for cutover (sqlDB)
}

// table is one replicated table, resolved on blue.
type table struct {
	schema, name string
}

// ident is the table's qualified, quoted name.
func (t table) ident() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

// exactName is a configured table name as SQL naming exactly that table:
// "schema.table" split at the first dot, each part quoted, as the rest of
// tightrope reads a runbook's table names (engine/cutover, the adapters),
// so upper case, spaces and quotes name what they say.
func exactName(name string) string {
	if schema, rel, ok := strings.Cut(name, "."); ok {
		return pgx.Identifier{schema, rel}.Sanitize()
	}
	return pgx.Identifier{name}.Sanitize()
}

func (t table) String() string { return t.schema + "." + t.name }

// openPostgres connects to both sides and resolves the tables on blue.
func openPostgres(ctx context.Context, cfg Config) (*pgPair, error) {
	for _, s := range []Side{cfg.Blue, cfg.Green} {
		if err := s.parses(); err != nil {
			return nil, err
		}
	}
	p := &pgPair{cfg: cfg, blue: &end{Side: cfg.Blue}, green: &end{Side: cfg.Green}}
	for _, e := range []*end{p.blue, p.green} {
		c, err := pgx.Connect(ctx, e.DSN)
		if err != nil {
			p.Close(ctx)
			return nil, fmt.Errorf("connect to %s: %w", e.Name, err)
		}
		e.conn = c
	}
	for _, name := range cfg.Tables {
		var t table
		err := p.blue.conn.QueryRow(ctx, `SELECT n.nspname::text, c.relname::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`, exactName(name)).Scan(&t.schema, &t.name)
		if err == pgx.ErrNoRows {
			p.Close(ctx)
			return nil, fmt.Errorf("table %s is not on %s", name, p.blue.Name)
		}
		if err != nil {
			p.Close(ctx)
			return nil, fmt.Errorf("table %s on %s: %w", name, p.blue.Name, err)
		}
		p.tables = append(p.tables, t)
	}
	return p, nil
}

// Close closes both connections.
func (p *pgPair) Close(ctx context.Context) {
	for _, e := range []*end{p.blue, p.green} {
		if e != nil && e.conn != nil {
			e.conn.Close(ctx)
			e.conn = nil
		}
		if e != nil && e.pool != nil {
			e.pool.Close()
			e.pool = nil
		}
	}
}

func (p *pgPair) tableList() string {
	names := make([]string, len(p.tables))
	for i, t := range p.tables {
		names[i] = t.ident()
	}
	return strings.Join(names, ", ")
}

// literal quotes s as an SQL string literal (CREATE SUBSCRIPTION takes no
// parameters).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// Name is the pair's name (its replication objects are tr_<Name>…).
func (p *pgPair) Name() string { return p.cfg.Name }

// Tables are the replicated tables as schema.table.
func (p *pgPair) Tables() []string {
	out := make([]string, len(p.tables))
	for i, t := range p.tables {
		out[i] = t.String()
	}
	return out
}
