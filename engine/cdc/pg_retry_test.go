package cdc

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// retryable: the connection's failures are retried, a server starting up
// or shutting down included; what another connection would meet again is
// not.
func TestRetryable(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("cdc: stream s: %w", err) }
	for _, c := range []struct {
		err  error
		want bool
	}{
		{wrap(io.ErrUnexpectedEOF), true},
		{wrap(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), true},
		{wrap(&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}), true},
		{wrap(&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}), true},
		{wrap(&pgconn.PgError{Code: "08006"}), true},
		{wrap(&pgconn.PgError{Code: "53300", Message: "too many connections"}), true},
		{wrap(&pgconn.PgError{Code: "55006", Message: "replication slot s is active for PID 7"}), true},
		{wrap(&pgconn.PgError{Code: "28P01", Message: "password authentication failed"}), false},
		{wrap(&pgconn.PgError{Code: "3D000", Message: "database does not exist"}), false},
		{wrap(&pgconn.PgError{Code: "42704", Message: "replication slot does not exist"}), false},
		{&PositionLostError{Stream: "s", Evidence: []string{"gone"}}, false},
		{wrap(&SchemaChangedError{Table: "t"}), false},
		{permanent(errors.New("spool: journal closed")), false},
		{errors.Join(&SchemaChangedError{Table: "t"}, io.EOF), false},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
