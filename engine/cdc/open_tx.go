package cdc

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/journal"
)

// The oldest open writing transaction on a stream's source: its changes
// are not in the log (no lag measures them) until it commits, when they
// arrive at once; on PostgreSQL it also holds the slot's restart_lsn (and
// the WAL after it) back. Only the stream's database is looked at: another
// database's transaction never lands in this stream.

// pgOpenTx reads the oldest session of the current database holding a
// transaction id (it has written), other than this one; nil when none.
func pgOpenTx(ctx context.Context, conn *pgx.Conn) (*journal.CDCOpenTx, error) {
	var o journal.CDCOpenTx
	err := conn.QueryRow(ctx, `SELECT (extract(epoch FROM clock_timestamp() - xact_start) * 1000)::bigint, pid,
			coalesce(application_name, ''), coalesce(state, '')
		FROM pg_stat_activity
		WHERE backend_xid IS NOT NULL AND xact_start IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()
		ORDER BY xact_start LIMIT 1`).Scan(&o.AgeMS, &o.PID, &o.App, &o.State)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cdc: read open transactions: %w", err)
	}
	o.Rows = -1
	return &o, nil
}

// myOpenTx reads the oldest InnoDB transaction of a session whose default
// database is the current one that has modified rows or locked tables,
// other than this session; nil when none.
func myOpenTx(ctx context.Context, db *sql.DB) (*journal.CDCOpenTx, error) {
	var o journal.CDCOpenTx
	var state sql.NullString
	err := db.QueryRowContext(ctx, `SELECT GREATEST(0, TIMESTAMPDIFF(MICROSECOND, t.trx_started, NOW(6)) DIV 1000),
			t.trx_mysql_thread_id, t.trx_state, t.trx_rows_modified
		FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
		WHERE (t.trx_rows_modified > 0 OR t.trx_tables_locked > 0) AND p.DB = DATABASE() AND t.trx_mysql_thread_id <> CONNECTION_ID()
		ORDER BY t.trx_started LIMIT 1`).Scan(&o.AgeMS, &o.PID, &state, &o.Rows)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cdc: read open transactions: %w", err)
	}
	o.State = state.String
	return &o, nil
}
