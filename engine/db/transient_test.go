package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
)

// A lost connection is worth a retry, wrapped or not; bad data and a
// cancelled context are not.
func TestIsTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("mysql: read mix: %w", sql.ErrConnDone), true}, // a held connection lost in an earlier call
		{errors.New("read: connection reset by peer"), true},
		{errors.New(`invalid input syntax for type integer: "N/A"`), false},
		{fmt.Errorf("read: %w", context.Canceled), false},
		{nil, false},
	} {
		if got := IsTransient(c.err); got != c.want {
			t.Errorf("IsTransient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
