package cdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// DefaultMinRetention is the shortest automatic binlog expiry MyPreflight
// accepts: a capture stopped (a network drop, a night) for longer than the
// retention finds its position purged.
const DefaultMinRetention = 6 * time.Hour

// MyFinding is one thing a MySQL/MariaDB source must change before (Fatal)
// or should know about during a binlog capture. Fix is the exact statement
// or my.cnf line to apply.
type MyFinding struct {
	Setting string // log_bin, binlog_format, …, retention, grant, flavor
	Have    string
	Want    string
	Fix     string
	Fatal   bool
}

// String is "binlog_format is STATEMENT, want ROW: SET GLOBAL …".
func (f MyFinding) String() string {
	return fmt.Sprintf("%s is %s, want %s: %s", f.Setting, f.Have, f.Want, f.Fix)
}

// MyPreflightReport is what MyPreflight found on a source.
type MyPreflightReport struct {
	Version string // @@version
	MariaDB bool
	// Retention is how long the server keeps a binlog before it expires it
	// (0: never — binlogs stay until purged by hand); RetentionFrom names
	// the variable it came from.
	Retention     time.Duration
	RetentionFrom string
	Findings      []MyFinding
}

// Err is nil when a capture can run; otherwise a *MyPreflightError holding
// the fatal findings.
func (r MyPreflightReport) Err() error {
	var fatal []MyFinding
	for _, f := range r.Findings {
		if f.Fatal {
			fatal = append(fatal, f)
		}
	}
	if len(fatal) == 0 {
		return nil
	}
	return &MyPreflightError{Findings: fatal}
}

// MyPreflightError lists what a source must change for binlog capture.
type MyPreflightError struct{ Findings []MyFinding }

// Error names every finding with its fix.
func (e *MyPreflightError) Error() string {
	parts := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		parts[i] = f.String()
	}
	return "cdc: the source's binlog cannot be captured: " + strings.Join(parts, "; ")
}

// MyPreflightOptions tunes MyPreflight.
type MyPreflightOptions struct {
	Tables       []string      // tables of the DSN's database the capture reads (SELECT is checked on each)
	MinRetention time.Duration // default DefaultMinRetention
}

// MyPreflight checks that a MySQL/MariaDB source can be captured: the
// binlog is on, in ROW format with full row images and full row metadata
// (column names and the primary key travel in the table map), kept long
// enough, and the user holds REPLICATION SLAVE, BINLOG MONITOR (REPLICATION
// CLIENT on MySQL and MariaDB before 10.5) and SELECT on the tables. Only a
// connection or query failure is an error; what the server must change is
// in the report (Err). It reads only. It is meant for the conductor before
// a cdc-start and for assess/lint.
func MyPreflight(ctx context.Context, dsn string, o MyPreflightOptions) (MyPreflightReport, error) {
	var r MyPreflightReport
	if o.MinRetention <= 0 {
		o.MinRetention = DefaultMinRetention
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return r, fmt.Errorf("cdc: preflight: parse the source dsn: %w", err)
	}
	// Connected without a database: a user who may not use it is a
	// finding, not a failed connection.
	database := cfg.DBName
	cfg.DBName = ""
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return r, fmt.Errorf("cdc: preflight: %w", err)
	}
	defer db.Close()
	vars, err := myGlobals(ctx, db, "version", "log_bin", "binlog_format", "binlog_row_image", "binlog_row_metadata",
		"expire_logs_days", "binlog_expire_logs_seconds", "server_id", "gtid_mode")
	if err != nil {
		return r, err
	}
	r.Version = vars["version"]
	r.MariaDB = strings.Contains(strings.ToLower(r.Version), "mariadb")
	cnf := "[mysqld]"
	if r.MariaDB {
		cnf = "[mariadb]"
	}
	add := func(setting, have, want, fix string, fatal bool) {
		r.Findings = append(r.Findings, MyFinding{Setting: setting, Have: have, Want: want, Fix: fix, Fatal: fatal})
	}
	if !r.MariaDB {
		add("flavor", "MySQL "+r.Version, "MariaDB", "tightrope's binlog capture reads MariaDB GTIDs only; capture a MySQL source by another tool or snapshot it", true)
	}
	if !strings.EqualFold(vars["log_bin"], "ON") && vars["log_bin"] != "1" {
		add("log_bin", orUnset(vars["log_bin"]), "ON",
			fmt.Sprintf("add log_bin = binlog and server_id = <a unique non-zero id> under %s in my.cnf and restart the server (log_bin cannot be set at runtime)", cnf), true)
	}
	if vars["server_id"] == "0" {
		add("server_id", "0", "a unique non-zero id", fmt.Sprintf("SET GLOBAL server_id = <id>; and server_id = <id> under %s in my.cnf", cnf), true)
	}
	for _, s := range [][2]string{{"binlog_format", "ROW"}, {"binlog_row_image", "FULL"}, {"binlog_row_metadata", "FULL"}} {
		have, ok := vars[s[0]]
		if !ok {
			add(s[0], "not a variable of this server", s[1], "upgrade the server: "+s[0]+" needs MariaDB 10.5 or MySQL 8.0", true)
			continue
		}
		if !strings.EqualFold(have, s[1]) {
			add(s[0], have, s[1], fmt.Sprintf("SET GLOBAL %s = '%s'; and %s = %s under %s in my.cnf (sessions already connected keep the old value until they reconnect)", s[0], s[1], s[0], s[1], cnf), true)
		}
	}
	if !r.MariaDB && !strings.EqualFold(vars["gtid_mode"], "ON") {
		add("gtid_mode", orUnset(vars["gtid_mode"]), "ON", "set gtid_mode = ON and enforce_gtid_consistency = ON under [mysqld] in my.cnf", true)
	}
	r.retention(vars, o.MinRetention, cnf, add)
	if err := r.grants(ctx, db, database, o.Tables, add); err != nil {
		return r, err
	}
	return r, nil
}

// retention reads the binlog expiry: binlog_expire_logs_seconds when
// non-zero (MariaDB 10.6+, MySQL 8), else expire_logs_days.
func (r *MyPreflightReport) retention(vars map[string]string, min time.Duration, cnf string, add func(string, string, string, string, bool)) {
	secs, _ := strconv.ParseFloat(vars["binlog_expire_logs_seconds"], 64)
	r.RetentionFrom = "binlog_expire_logs_seconds"
	if secs == 0 {
		days, _ := strconv.ParseFloat(vars["expire_logs_days"], 64)
		secs = days * 86400
		r.RetentionFrom = "expire_logs_days"
	}
	r.Retention = time.Duration(secs * float64(time.Second))
	variable, value := "binlog_expire_logs_seconds", strconv.Itoa(int(min.Seconds()))
	if _, ok := vars["binlog_expire_logs_seconds"]; !ok {
		variable, value = "expire_logs_days", strconv.FormatFloat(max(1, min.Hours()/24), 'f', -1, 64)
	}
	want := "at least " + min.String()
	switch {
	case r.Retention == 0:
		add("retention", "never (binlogs stay until purged by hand)", want,
			fmt.Sprintf("capture is safe, but watch the disk, and never PURGE BINARY LOGS past the stream's position; to expire automatically: SET GLOBAL %s = %s; and %s = %s under %s in my.cnf", variable, value, variable, value, cnf), false)
	case r.Retention < min:
		add("retention", fmt.Sprintf("%s (%s)", r.Retention, r.RetentionFrom), want,
			fmt.Sprintf("SET GLOBAL %s = %s; and %s = %s under %s in my.cnf (a capture stopped longer than the retention loses its position)", variable, value, variable, value, cnf), true)
	}
}

// grants checks the replication privileges (from SHOW GRANTS) and SELECT
// on each table (by reading none of its rows).
func (r *MyPreflightReport) grants(ctx context.Context, db *sql.DB, database string, tables []string, add func(string, string, string, string, bool)) error {
	rows, err := db.QueryContext(ctx, "SHOW GRANTS FOR CURRENT_USER()")
	if err != nil {
		return fmt.Errorf("cdc: preflight: SHOW GRANTS: %w", err)
	}
	defer rows.Close()
	global := map[string]bool{}
	var user string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return fmt.Errorf("cdc: preflight: SHOW GRANTS: %w", err)
		}
		privs, obj, to, ok := parseGrant(g)
		if !ok {
			continue
		}
		if user == "" {
			user = to
		}
		if obj != "*.*" {
			continue
		}
		for _, p := range privs {
			global[p] = true
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cdc: preflight: SHOW GRANTS: %w", err)
	}
	if user == "" {
		user = "<user>"
	}
	has := func(names ...string) bool {
		if global["ALL PRIVILEGES"] || global["ALL"] {
			return true
		}
		for _, n := range names {
			if global[n] {
				return true
			}
		}
		return false
	}
	if !has("REPLICATION SLAVE", "REPLICATION REPLICA") {
		add("grant", "missing REPLICATION SLAVE", "REPLICATION SLAVE ON *.*", "GRANT REPLICATION SLAVE ON *.* TO "+user, true)
	}
	monitor := "BINLOG MONITOR"
	if !r.MariaDB || !mariaDBAtLeast(r.Version, 10, 5) {
		monitor = "REPLICATION CLIENT"
	}
	if !has("BINLOG MONITOR", "REPLICATION CLIENT") {
		add("grant", "missing "+monitor, monitor+" ON *.*", "GRANT "+monitor+" ON *.* TO "+user, true)
	}
	for _, t := range tables {
		if _, err := db.ExecContext(ctx, "SELECT * FROM "+quoteMy(database)+"."+quoteMy(t)+" LIMIT 0"); err != nil {
			if code := myErrorCode(err); code == 1142 || code == 1143 || code == 1044 { // SELECT command denied, column denied, access denied to database
				add("grant", "missing SELECT on "+t, "SELECT", fmt.Sprintf("GRANT SELECT ON %s.* TO %s", quoteMy(database), user), true)
				continue
			}
			return fmt.Errorf("cdc: preflight: read table %s: %w", t, err)
		}
	}
	return nil
}

// parseGrant splits "GRANT a, b ON `db`.* TO `u`@`h` …" into its
// privileges, object and grantee; a role grant has no ON and is skipped.
func parseGrant(g string) (privs []string, obj, to string, ok bool) {
	rest, found := strings.CutPrefix(g, "GRANT ")
	if !found {
		return nil, "", "", false
	}
	on := strings.Index(rest, " ON ")
	toAt := strings.Index(rest, " TO ")
	if on < 0 || toAt < on {
		return nil, "", "", false
	}
	depth, start := 0, 0
	list := rest[:on]
	for i := 0; i <= len(list); i++ {
		if i == len(list) || list[i] == ',' && depth == 0 {
			if p := strings.TrimSpace(list[start:i]); p != "" {
				privs = append(privs, strings.ToUpper(p))
			}
			start = i + 1
			continue
		}
		switch list[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	obj = strings.TrimSpace(rest[on+4 : toAt])
	to = rest[toAt+4:]
	if i := strings.Index(to, " "); i >= 0 {
		to = to[:i]
	}
	return privs, obj, to, true
}

// mariaDBAtLeast compares a MariaDB @@version with major.minor.
func mariaDBAtLeast(version string, major, minor int) bool {
	var a, b int
	if _, err := fmt.Sscanf(version, "%d.%d", &a, &b); err != nil {
		return true
	}
	return a > major || a == major && b >= minor
}

// myGlobals reads global variables by name; a name the server does not
// have is absent from the map.
func myGlobals(ctx context.Context, db *sql.DB, names ...string) (map[string]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	rows, err := db.QueryContext(ctx, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ("+strings.Join(quoted, ", ")+")")
	if err != nil {
		return nil, fmt.Errorf("cdc: read the server's variables: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, v string
		if err := rows.Scan(&n, &v); err != nil {
			return nil, err
		}
		out[strings.ToLower(n)] = v
	}
	return out, rows.Err()
}

func orUnset(v string) string {
	if v == "" {
		return "unset"
	}
	return v
}

// quoteMy backtick-quotes a MySQL identifier.
func quoteMy(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// myErrorCode is a MySQL error's number, 0 for other errors.
func myErrorCode(err error) uint16 {
	var e *mysqldrv.MySQLError
	if errors.As(err, &e) {
		return e.Number
	}
	return 0
}
