package bluegreen

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/tightrope/tightrope/engine/cutover"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/journal"
)

// syncSequences sets every sequence of the tables on to past both what
// the same sequence on from has handed out and the highest value in to's
// column, so the first insert on to after the switch takes a fresh value
// (cutover.SyncSequencesFrom, the one implementation). Both sides are
// frozen.
func (p *pgPair) syncSequences(ctx context.Context, from, to *end) ([]journal.SequenceSync, error) {
	names := make([]string, len(p.tables))
	for i, t := range p.tables {
		names[i] = t.String()
	}
	sets, err := cutover.SyncSequencesFrom(ctx, to.sqlDB(), from.sqlDB(), names)
	if err != nil {
		return sets, fmt.Errorf("sequences on %s: %w", to.Name, err)
	}
	return sets, nil
}

// sqlDB is the side as cutover takes it: a database/sql pool on the same
// connection settings, opened on first use and closed by Close.
func (e *end) sqlDB() cutover.DB {
	if e.pool == nil {
		e.pool = stdlib.OpenDB(*e.conn.Config())
		e.pool.SetMaxOpenConns(1)
	}
	return pgSQL{e.pool}
}

// pgSQL is a PostgreSQL pool as cutover.DB.
type pgSQL struct{ pool *sql.DB }

func (d pgSQL) Driver() string           { return db.Postgres }
func (d pgSQL) Quote(name string) string { return pgx.Identifier{name}.Sanitize() }
func (d pgSQL) SQL() *sql.DB             { return d.pool }
