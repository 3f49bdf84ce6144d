package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tightrope/tightrope/engine/convert"
)

func init() { register(Postgres, openPostgres) }

// pgDB is the PostgreSQL adapter: a pgx pool, COPY for bulk loads.
//
// Table names: a dot separates schema and table ("shop.orders" is table
// orders in schema shop); a name without a dot lives in current_schema().
// Tables() returns names in current_schema() unqualified, except a name
// that itself contains a dot, which it qualifies with the schema so the
// rule stays unambiguous. Column names are never split.
type pgDB struct {
	pool  *pgxpool.Pool
	sqldb *sql.DB
	desc  string

	mu            sync.Mutex
	progressReady bool
	copies        pgCopyCache // COPY statements and column types, by table
}

// openPostgres opens a pool from a URL or a libpq key=value DSN and checks
// that the server answers.
func openPostgres(ctx context.Context, dsn string) (DB, error) {
	secret := parsePGDSN(dsn).password
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, scrubSecret(pgParseError(err), secret)
	}
	return openPostgresConfig(ctx, cfg)
}

// openPostgresConfig opens a pool from a parsed configuration. Every
// session prints floats in their shortest exact form (extra_float_digits
// 3, whatever the DSN or the server's default says): floats inside values
// read as text — arrays, composites, ranges — would otherwise lose digits
// (15 significant digits with 0, the default before PostgreSQL 12), and
// exchange text in UTF-8. The
// pool's sessions print dates in ISO form and intervals in PostgreSQL's
// own style, whatever the DSN or the database's defaults say: a date
// inside an array printed as 01/02/2024 would be read back by another
// server in its own day-month order. SQL() has connections of its own, outside the pool: a sql step's SET
// (extra_float_digits, DateStyle, IntervalStyle...) stays in them and
// never changes how ReadBatch prints values read as text.
func openPostgresConfig(ctx context.Context, cfg *pgxpool.Config) (DB, error) {
	cc := cfg.ConnConfig
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["extra_float_digits"] = "3"
	// Text travels as UTF-8 whatever the database's encoding: the server
	// converts, and refuses a character the database cannot hold (a
	// LATIN1 database's own default would hand over raw LATIN1 bytes).
	cc.RuntimeParams["client_encoding"] = "UTF8"
	sqlConfig := cc.Copy() // a sql step's user SQL keeps the DSN's date style
	cc.RuntimeParams["DateStyle"] = "ISO, MDY"
	cc.RuntimeParams["IntervalStyle"] = "postgres"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, scrubSecret(err, cc.Password)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, scrubSecret(err, cc.Password)
	}
	return &pgDB{
		pool:  pool,
		sqldb: stdlib.OpenDB(*sqlConfig),
		desc:  describeDSN(Postgres, cc.User, cc.Host, strconv.Itoa(int(cc.Port)), cc.Database),
	}, nil
}

// pgParseError keeps pgx's reason but drops the connection string it
// quotes (pgx redacts the password only on a best-effort basis).
func pgParseError(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+3:]
	}
	return fmt.Errorf("cannot parse the PostgreSQL DSN (a postgres:// URL or key=value pairs): %s", msg)
}

func (p *pgDB) Driver() string   { return Postgres }
func (p *pgDB) Describe() string { return p.desc }
func (p *pgDB) SQL() *sql.DB     { return p.sqldb }

// Quote double-quotes one identifier, doubling embedded quotes.
func (p *pgDB) Quote(ident string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(ident, "\x00", ""), `"`, `""`) + `"`
}

// quoteTable quotes a table name, splitting schema.table at the first dot.
func (p *pgDB) quoteTable(name string) string {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return p.Quote(schema) + "." + p.Quote(table)
	}
	return p.Quote(name)
}

// Tables lists ordinary and partitioned tables of current_schema().
func (p *pgDB) Tables(ctx context.Context) ([]string, error) { return pgTables(ctx, p.pool) }

// pgQuerier is what the catalog reads need: a pool, or the transaction of a
// snapshot view.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgTables lists the tables of current_schema() (without ProgressTable);
// a name containing a dot is qualified with its schema.
func pgTables(ctx context.Context, q pgQuerier) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT n.nspname, c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> $1
		ORDER BY c.relname`, ProgressTable)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var schema, name string
		if err := rows.Scan(&schema, &name); err != nil {
			return nil, err
		}
		if strings.Contains(name, ".") {
			name = schema + "." + name
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// Table reads the columns (format_type, NOT NULL; dropped ones skipped) in
// attnum order and the primary key in key order.
func (p *pgDB) Table(ctx context.Context, name string) (Table, error) {
	return pgTable(ctx, p.pool, p.quoteTable, name)
}

// pgTable reads a table's shape through q; quoteTable quotes its name.
func pgTable(ctx context.Context, q pgQuerier, quoteTable func(string) string, name string) (Table, error) {
	t := Table{Name: name}
	var oid *uint32
	if err := q.QueryRow(ctx, `SELECT to_regclass($1)::oid`, quoteTable(name)).Scan(&oid); err != nil {
		return t, fmt.Errorf("postgres: table %s: %w", name, err)
	}
	if oid == nil {
		return t, fmt.Errorf("postgres: table %s: %w", name, ErrNoTable)
	}
	rows, err := q.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod), attnotnull
		FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, *oid)
	if err == nil {
		t.Columns, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Column, error) {
			var col, typ string
			var notNull bool
			err := r.Scan(&col, &typ, &notNull)
			return Column{Name: col, Type: convert.ParsePostgres(typ, notNull)}, err
		})
	}
	if err != nil {
		return t, fmt.Errorf("postgres: table %s: columns: %w", name, err)
	}
	rows, err = q.Query(ctx, `SELECT a.attname FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord`, *oid)
	if err == nil {
		t.Key, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return t, fmt.Errorf("postgres: table %s: primary key: %w", name, err)
	}
	return t, nil
}

// Count counts the rows exactly.
func (p *pgDB) Count(ctx context.Context, table string) (int64, error) {
	var n int64
	if err := p.pool.QueryRow(ctx, "SELECT count(*) FROM "+p.quoteTable(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count %s: %w", table, err)
	}
	return n, nil
}

// pgResultFormats asks for binary results only where the binary form maps
// onto a plain Go value exactly; every other type (numeric, json, jsonb,
// uuid, time, interval, enums, arrays, ...) arrives as the server's own
// text, which is exact.
var pgResultFormats = pgx.QueryResultFormatsByOID{
	pgtype.Int2OID: pgx.BinaryFormatCode, pgtype.Int4OID: pgx.BinaryFormatCode, pgtype.Int8OID: pgx.BinaryFormatCode,
	pgtype.Float4OID: pgx.BinaryFormatCode, pgtype.Float8OID: pgx.BinaryFormatCode, pgtype.BoolOID: pgx.BinaryFormatCode,
	pgtype.ByteaOID: pgx.BinaryFormatCode, pgtype.DateOID: pgx.BinaryFormatCode,
	pgtype.TimestampOID: pgx.BinaryFormatCode, pgtype.TimestamptzOID: pgx.BinaryFormatCode,
}

func pgPlaceholder(i int) string { return "$" + strconv.Itoa(i) }

// ReadBatch reads the next rows in key order. Values: int64, float32 (real:
// package convert keeps its 32-bit shortest form), float64, bool,
// []byte, time.Time (timestamp: wall time in UTC; timestamptz: UTC; date:
// midnight UTC), "infinity"/"-infinity" as text, and every other type as
// its exact PostgreSQL text (numeric as e.g. "123.4500").
func (p *pgDB) ReadBatch(ctx context.Context, t Table, cols []string, after []any, limit int) ([][]any, error) {
	return p.readBatch(ctx, p.pool, t, cols, after, limit)
}

// readBatch is ReadBatch through q: the pool, or a transaction.
func (p *pgDB) readBatch(ctx context.Context, qr pgQuerier, t Table, cols []string, after []any, limit int) ([][]any, error) {
	q, args := selectAfter(tableQuoter(t.Name, p.quoteTable, p.Quote), pgPlaceholder, t, cols, after, limit)
	rows, err := qr.Query(ctx, q, append([]any{pgResultFormats}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	dec := pgDecoders(rows.Conn().TypeMap(), fds)
	alloc := newRowAlloc(len(fds), limit)
	var mem batchMem
	out := make([][]any, 0, min(max(limit, 0), 1<<16))
	for rows.Next() {
		raw := rows.RawValues()
		row := alloc.row()
		for i := range raw {
			if row[i], err = dec[i].decode(raw[i], &mem); err != nil {
				return nil, fmt.Errorf("postgres: read %s.%s: %w", t.Name, fds[i].Name, err)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read %s: %w", t.Name, err)
	}
	return out, nil
}

// tableQuoter quotes the table name with quoteTable and anything else
// (columns) with quote, for selectAfter. A column spelled exactly like a
// dotted table name would be split too; such a schema is not supported.
func tableQuoter(table string, quoteTable, quote func(string) string) func(string) string {
	return func(s string) string {
		if s == table {
			return quoteTable(s)
		}
		return quote(s)
	}
}

// pgValue turns one raw result value into the Go value ReadBatch promises.
func pgValue(m *pgtype.Map, fd pgconn.FieldDescription, raw []byte) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if _, binary := pgResultFormats[fd.DataTypeOID]; !binary {
		if fd.Format == pgx.TextFormatCode {
			return string(raw), nil
		}
	}
	typ, ok := m.TypeForOID(fd.DataTypeOID)
	if !ok {
		return raw, nil
	}
	v, err := typ.Codec.DecodeValue(m, fd.DataTypeOID, fd.Format, raw)
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case time.Time:
		return x.UTC(), nil
	case pgtype.InfinityModifier:
		return x.String(), nil
	case driver.Valuer: // only reached for a binary result of an unlisted type
		return x.Value()
	}
	return v, nil
}

// progressDDL creates ProgressTable.
func (p *pgDB) progressDDL() string {
	return `CREATE TABLE IF NOT EXISTS ` + p.Quote(ProgressTable) + ` (
		copy_id text NOT NULL,
		tbl text NOT NULL,
		last_key text,
		"read" bigint NOT NULL DEFAULT 0,
		written bigint NOT NULL DEFAULT 0,
		rejected bigint NOT NULL DEFAULT 0,
		updated_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (copy_id, tbl))`
}

// ensureProgress creates ProgressTable once per handle, outside any batch
// transaction.
func (p *pgDB) ensureProgress(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.progressReady {
		return nil
	}
	_, err := p.pool.Exec(ctx, p.progressDDL())
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07") {
		err = nil // created concurrently by another session
	}
	if err != nil {
		return fmt.Errorf("postgres: create %s: %w", ProgressTable, err)
	}
	p.progressReady = true
	return nil
}

// LoadBatch copies rows with the COPY protocol and upserts the marker, in
// one transaction. The rows are encoded in COPY's binary format by one
// encoder per column, chosen from the target column's type (see
// pgColumnEncoder); a decimal arrives as exact text and goes to numeric's
// base-10000 digits without passing through a float.
func (p *pgDB) LoadBatch(ctx context.Context, t Table, cols []string, rows [][]any, mark Marker) error {
	if mark.Table == "" {
		mark.Table = t.Name
	}
	if err := p.ensureProgress(ctx); err != nil {
		return err
	}
	key, err := markerKeyJSON(mark.LastKey)
	if err != nil {
		return fmt.Errorf("postgres: load %s: marker key: %w", t.Name, err)
	}
	tx, err := pgBeginBatch(ctx, p.pool)
	if err != nil {
		return fmt.Errorf("postgres: load %s: begin: %w", t.Name, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if len(rows) > 0 {
		n, err := p.copyRows(ctx, tx.Conn(), t, cols, rows)
		if err != nil {
			p.forgetCopyTarget()
			return fmt.Errorf("postgres: load %s: copy: %w", t.Name, err)
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("postgres: load %s: copy wrote %d of %d rows", t.Name, n, len(rows))
		}
	}
	if err := p.putMarker(ctx, tx, t.Name, key, mark); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: load %s: commit: %w", t.Name, err)
	}
	return nil
}

// putMarker upserts mark (its last key already rendered as JSON) in tx.
func (p *pgDB) putMarker(ctx context.Context, tx pgx.Tx, table string, key string, mark Marker) error {
	_, err := tx.Exec(ctx, `INSERT INTO `+p.Quote(ProgressTable)+` (copy_id, tbl, last_key, "read", written, rejected, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, now())
		ON CONFLICT (copy_id, tbl) DO UPDATE SET last_key = EXCLUDED.last_key, "read" = EXCLUDED."read",
			written = EXCLUDED.written, rejected = EXCLUDED.rejected, updated_at = EXCLUDED.updated_at`,
		mark.CopyID, mark.Table, key, mark.Read, mark.Written, mark.Rejected)
	if err != nil {
		return fmt.Errorf("postgres: load %s: progress marker: %w", table, err)
	}
	return nil
}

// Progress reads a copy checkpoint back; none when ProgressTable does not
// exist yet.
func (p *pgDB) Progress(ctx context.Context, copyID, table string) (Marker, bool, error) {
	m := Marker{CopyID: copyID, Table: table}
	var key *string
	err := p.pool.QueryRow(ctx, `SELECT last_key, "read", written, rejected FROM `+p.Quote(ProgressTable)+
		` WHERE copy_id = $1 AND tbl = $2`, copyID, table).Scan(&key, &m.Read, &m.Written, &m.Rejected)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows), errors.As(err, &pe) && pe.Code == "42P01":
		return Marker{}, false, nil
	case err != nil:
		return Marker{}, false, fmt.Errorf("postgres: progress of %s: %w", table, err)
	}
	if key != nil {
		if m.LastKey, err = markerKeyFromJSON(*key); err != nil {
			return Marker{}, false, fmt.Errorf("postgres: progress of %s: %w", table, err)
		}
	}
	return m, true, nil
}

// Close closes the database/sql view and the pool.
func (p *pgDB) Close() error {
	err := p.sqldb.Close()
	p.pool.Close()
	return err
}
