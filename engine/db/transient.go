package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// IsTransient tells whether an error is a lost or refused connection that
// a retry may cure, as opposed to an error in the data or the SQL, which a
// retry would only repeat. A cancelled context is never transient.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// sql.ErrConnDone: a held connection (a MySQL read's prepared
	// statements live on one) whose server connection was lost earlier;
	// only a new connection cures it.
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: the server is shutting down or starting.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		// 1053 server shutdown, 1205 lock wait timeout, 1213 deadlock, 2006 gone away, 2013 lost connection.
		switch myErr.Number {
		case 1053, 1205, 1213, 2006, 2013:
			return true
		}
		return false
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"connection reset", "broken pipe", "connection refused", "unexpected eof",
		"bad connection", "conn closed", "server closed the connection", "database is locked", "i/o timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
