package db

import (
	"errors"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Refusal is a row the target refused by one of its own rules: a foreign
// key, a unique key, a check or NOT NULL constraint, or a trigger's error.
type Refusal struct {
	Index int    // the row's position in the batch
	Rule  string // the rule, named as the server names it ("" when it does not)
	Err   error  // the error, as the adapter returned it
}

// Message is the server's own words for the refusal (PostgreSQL's detail
// included), without the adapter's context.
func (r Refusal) Message() string {
	var pgErr *pgconn.PgError
	var myErr *mysql.MySQLError
	var liteErr *sqlite.Error
	switch {
	case errors.As(r.Err, &pgErr):
		if pgErr.Detail != "" {
			return pgErr.Message + " (" + pgErr.Detail + ")"
		}
		return pgErr.Message
	case errors.As(r.Err, &myErr):
		return myErr.Message
	case errors.As(r.Err, &liteErr):
		return liteErr.Error()
	case r.Err != nil:
		return r.Err.Error()
	}
	return ""
}

// Refused tells whether err is the target refusing a row by one of its
// rules — an error of the data that a retry would repeat but that leaves
// the other rows of a batch writable — and names the rule when the server
// does: PostgreSQL SQLSTATE class 23 and P0001 (a trigger's RAISE);
// MySQL/MariaDB duplicate key, foreign key, check, NOT NULL and SIGNAL; a
// character the column's character set or the database's encoding has not
// (MySQL 1366, PostgreSQL 22P05);
// SQLite constraint errors (a trigger's RAISE included); and a MySQL LOAD
// DATA batch that raised warnings (*InfileWarnings).
func Refused(err error) (rule string, ok bool) {
	if err == nil {
		return "", false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgRefused(pgErr)
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return mysqlRefused(myErr)
	}
	var infile *InfileWarnings // a LOAD DATA's warnings: LoadRefusing finds the rows
	if errors.As(err, &infile) {
		return infile.rule(), true
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) && liteErr.Code()&0xff == sqliteConstraint {
		if liteErr.Code() == sqliteConstraintTrigger {
			return "a trigger", true
		}
		return sqliteRule(liteErr.Error()), true
	}
	var deferred *errDeferredFK // a SQLite deferred foreign key, checked at once (sqlite_deferred.go)
	if errors.As(err, &deferred) {
		return "FOREIGN KEY", true
	}
	return "", false
}

// sqliteConstraint is SQLITE_CONSTRAINT, the primary result code of every
// constraint error (extended codes keep it in their low byte).
// SQLITE_CONSTRAINT_TRIGGER is a trigger's RAISE.
const (
	sqliteConstraint        = 19
	sqliteConstraintTrigger = 19 | 7<<8
)

func pgRefused(e *pgconn.PgError) (string, bool) {
	switch {
	case e.Code == "P0001":
		if fn := pgFunction.FindStringSubmatch(e.Where); fn != nil {
			return "trigger function " + fn[1], true
		}
		return "a trigger", true
	case e.Code == "22P05": // untranslatable character: the database's encoding has no such character
		return "the database encoding", true
	case !strings.HasPrefix(e.Code, "23"):
		return "", false
	case e.ConstraintName != "":
		return e.ConstraintName, true
	case e.Code == "23502" && e.ColumnName != "":
		return "NOT NULL on " + e.ColumnName, true
	}
	return "", true
}

var pgFunction = regexp.MustCompile(`PL/pgSQL function ([^\s(]+)\(`)

// The MySQL and MariaDB messages that name the rule.
var (
	myDupKey  = regexp.MustCompile(`for key '([^']+)'`)
	myFK      = regexp.MustCompile("CONSTRAINT `([^`]+)`")
	myCheck   = regexp.MustCompile(`[Cc]heck constraint '([^']+)'`)
	myNotNull = regexp.MustCompile(`Column '([^']+)' cannot be null`)
)

func mysqlRefused(e *mysql.MySQLError) (string, bool) {
	var re *regexp.Regexp
	prefix := ""
	switch e.Number {
	case 1062: // duplicate entry
		re = myDupKey
	case 1216, 1217, 1451, 1452: // foreign key (child row without parent, parent row with children)
		re = myFK
	case 3819: // MySQL: check constraint violated
		re = myCheck
	case 4025: // MariaDB: CONSTRAINT `c` failed for `db`.`t`
		re = myFK
	case 1048: // column cannot be null
		re, prefix = myNotNull, "NOT NULL on "
	case 1644: // a trigger's SIGNAL (the message is the trigger's own)
		return "a trigger", true
	case 1366: // incorrect string value: a character the column's charset has not
		return "the column's character set", true
	default:
		return "", false
	}
	if m := re.FindStringSubmatch(e.Message); m != nil {
		return prefix + m[1], true
	}
	return "", true
}

// sqliteRule names the rule in a SQLite constraint message ("UNIQUE
// constraint failed: t.name", "CHECK constraint failed: positive"), or
// returns "" when it names none.
func sqliteRule(msg string) string {
	for _, kind := range []string{"UNIQUE", "CHECK", "NOT NULL", "PRIMARY KEY", "FOREIGN KEY"} {
		i := strings.Index(msg, kind+" constraint failed")
		if i < 0 {
			continue
		}
		rest := strings.TrimPrefix(msg[i+len(kind)+len(" constraint failed"):], ":")
		if j := strings.LastIndex(rest, " ("); j >= 0 {
			rest = rest[:j] // the result code
		}
		if rest = strings.TrimSpace(rest); rest != "" {
			return kind + " " + rest
		}
		return kind
	}
	return ""
}
