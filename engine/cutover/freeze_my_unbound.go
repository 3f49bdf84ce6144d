package cutover

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tightrope/tightrope/engine/db"
)

// Unbound names, before a run starts, the accounts other than tightrope's
// that a freeze of d cannot stop. MySQL with super_read_only: none.
// MariaDB, which has no super_read_only: those with READ_ONLY ADMIN (and,
// before 10.11, SUPER, which included it) — read_only does not bind them.
// PostgreSQL's are warned of by the freeze itself (superusers).
func Unbound(ctx context.Context, d DB) ([]string, error) {
	if d.Driver() != db.MySQL {
		return nil, nil
	}
	_, super, err := myReadOnly(ctx, d)
	if err != nil || super != "" {
		return nil, err
	}
	return myUnbound(ctx, d)
}

// myUnbound lists the accounts, tightrope's own left out, holding a
// privilege that writes through read_only on MariaDB.
func myUnbound(ctx context.Context, d DB) ([]string, error) {
	var version string
	if err := d.SQL().QueryRowContext(ctx, `SELECT VERSION()`).Scan(&version); err != nil {
		return nil, err
	}
	privs := "'READ_ONLY ADMIN'"
	if mariaBefore(version, 10, 11) {
		privs += ", 'SUPER'"
	}
	rows, err := d.SQL().QueryContext(ctx, `SELECT GRANTEE, GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE SEPARATOR ', ')
		FROM information_schema.USER_PRIVILEGES
		WHERE PRIVILEGE_TYPE IN (`+privs+`)
		  AND GRANTEE <> CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')
		GROUP BY GRANTEE ORDER BY GRANTEE`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var who, what string
		if err := rows.Scan(&who, &what); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("account %s has %s: it can still write while read_only is on", who, what))
	}
	return out, rows.Err()
}

// mariaBefore tells whether a MariaDB version string ("10.11.6-MariaDB")
// is older than major.minor; an unreadable one counts as older.
func mariaBefore(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return true
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return true
	}
	return ma < major || ma == major && mi < minor
}
