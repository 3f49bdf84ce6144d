package db

import (
	"errors"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// RedactDSN describes a DSN without its secrets, in one form for every
// driver: driver://user@host:port/database. It never returns the password,
// even for a DSN it cannot parse. Other packages use it to name a
// connection in events and errors.
func RedactDSN(driver, dsn string) string {
	switch driver {
	case Postgres:
		p := parsePGDSN(dsn)
		return describeDSN(Postgres, p.user, p.host, p.port, p.db)
	case MySQL:
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return "mysql://[unparseable DSN redacted]"
		}
		return describeMySQL(cfg)
	case SQLite: // as the SQLite adapter's Describe names it
		path, _, _ := strings.Cut(dsn, "?") // parameters may hold anything
		return "sqlite:" + filepath.Base(strings.TrimPrefix(path, "file:"))
	}
	return driver + "://[redacted]"
}

// describeDSN renders driver://user@host:port/db, leaving out what is empty.
func describeDSN(driver, user, host, port, db string) string {
	var b strings.Builder
	b.WriteString(driver + "://")
	if user != "" {
		b.WriteString(url.PathEscape(user) + "@")
	}
	switch {
	case host != "" && port != "" && !strings.Contains(host, ","):
		b.WriteString(net.JoinHostPort(host, port))
	default:
		b.WriteString(host)
	}
	b.WriteString("/" + db)
	return b.String()
}

// pgDSN holds the parts of a PostgreSQL DSN that describe or hide it.
type pgDSN struct{ user, password, host, port, db string }

// parsePGDSN reads a PostgreSQL DSN leniently, as a URL
// (postgres://user:pass@host:port/db?k=v) or as libpq key=value pairs. It
// never fails: it serves descriptions and password scrubbing, while pgx
// does the real parsing.
func parsePGDSN(dsn string) pgDSN {
	var p pgDSN
	set := func(k, v string) {
		switch k {
		case "user":
			p.user = v
		case "password":
			p.password = v
		case "host":
			p.host = v
		case "port":
			p.port = v
		case "dbname":
			p.db = v
		}
	}
	if rest, ok := cutScheme(dsn, "postgres://", "postgresql://"); ok {
		rest, query, _ := strings.Cut(rest, "?")
		authority, path, _ := strings.Cut(rest, "/")
		if i := strings.LastIndex(authority, "@"); i >= 0 {
			user, pass, _ := strings.Cut(authority[:i], ":")
			p.user, p.password = unescape(user), unescape(pass)
			authority = authority[i+1:]
		}
		p.host, p.port = authority, ""
		if strings.HasPrefix(authority, "[") && strings.HasSuffix(authority, "]") {
			p.host = authority[1 : len(authority)-1] // [::1] without a port
		}
		if h, port, err := net.SplitHostPort(authority); err == nil {
			p.host, p.port = h, port
		}
		p.db = unescape(path)
		if q, err := url.ParseQuery(query); err == nil {
			for k := range q {
				set(k, q.Get(k))
			}
		}
	} else {
		for k, v := range pgKeywords(dsn) {
			set(k, v)
		}
	}
	if p.port == "" && !strings.Contains(p.host, ",") {
		p.port = "5432"
	}
	return p
}

// pgKeywords splits libpq key=value pairs; values may be single-quoted
// with backslash escapes.
func pgKeywords(s string) map[string]string {
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return out
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t\n\r")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			i := 1
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			s = s[min(i+1, len(s)):]
		} else {
			i := 0
			for ; i < len(s) && !strings.ContainsRune(" \t\n\r", rune(s[i])); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				val.WriteByte(s[i])
			}
			s = s[i:]
		}
		out[key] = val.String()
	}
}

func cutScheme(dsn string, schemes ...string) (string, bool) {
	for _, s := range schemes {
		if len(dsn) >= len(s) && strings.EqualFold(dsn[:len(s)], s) {
			return dsn[len(s):], true
		}
	}
	return dsn, false
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// mysqlSQLMode is set on every MySQL session: the server must refuse,
// never truncate or invent, a value (defence in depth behind package
// convert). NO_AUTO_VALUE_ON_ZERO keeps a copied id 0 as 0 instead of
// drawing a new AUTO_INCREMENT value.
const mysqlSQLMode = "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'"

// parseMySQLDSN accepts mysql://user:pass@host:3306/db?param=v (also
// mariadb://, and ?socket=/path for a Unix socket) or the driver's own
// user:pass@tcp(host:3306)/db?param=v, and forces the session settings the
// adapter relies on:
//
//   - parseTime=false: DATE/DATETIME/TIMESTAMP arrive as text and the
//     adapter parses them itself. With parseTime the driver turns
//     '0000-00-00' into time.Time{}, indistinguishable from the valid
//     '0001-01-01 00:00:00'.
//   - loc=UTC and time_zone='+00:00': DATETIME is naive wall time, read and
//     written as a UTC time.Time with the same wall clock; TIMESTAMP is
//     exchanged in UTC.
//   - interpolateParams=true (one round trip per query), multiStatements
//     off, charset utf8mb4, max_allowed_packet taken from the server, and
//     the strict mysqlSQLMode. A sql_mode or time_zone in the DSN is
//     overridden.
//   - no driver logging: its stray lines on stderr would tear the TUI;
//     every failure still comes back as an error.
//
// Errors never quote the DSN.
func parseMySQLDSN(dsn string) (*mysql.Config, error) {
	var cfg *mysql.Config
	if _, ok := cutScheme(dsn, "mysql://", "mariadb://"); ok {
		u, err := url.Parse(dsn)
		if err != nil || u.Opaque != "" {
			return nil, errors.New("invalid MySQL URL (expected mysql://user:password@host:3306/database?param=value)")
		}
		q := u.Query()
		addr := "tcp(" + hostPort(u.Host, "127.0.0.1", "3306") + ")"
		if sock := q.Get("socket"); sock != "" {
			addr = "unix(" + sock + ")"
			q.Del("socket")
		}
		if cfg, err = mysql.ParseDSN(addr + "/?" + q.Encode()); err != nil {
			return nil, err
		}
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	} else {
		var err error
		if cfg, err = mysql.ParseDSN(dsn); err != nil {
			return nil, err
		}
	}
	cfg.ParseTime = false
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	cfg.MultiStatements = false
	cfg.MaxAllowedPacket = 0 // ask the server
	cfg.Logger = &mysql.NopLogger{}
	collation := ""
	if strings.HasPrefix(cfg.Collation, "utf8mb4_") {
		collation = cfg.Collation
	}
	if err := cfg.Apply(mysql.Charset("utf8mb4", collation)); err != nil {
		return nil, err
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	for k := range cfg.Params {
		if strings.EqualFold(k, "sql_mode") || strings.EqualFold(k, "time_zone") {
			delete(cfg.Params, k)
		}
	}
	cfg.Params["sql_mode"] = mysqlSQLMode
	cfg.Params["time_zone"] = "'+00:00'"
	return cfg, nil
}

// hostPort fills in a default host and port.
func hostPort(hp, host, port string) string {
	if hp == "" {
		return net.JoinHostPort(host, port)
	}
	if _, _, err := net.SplitHostPort(hp); err == nil {
		return hp
	}
	return net.JoinHostPort(strings.Trim(hp, "[]"), port)
}

// describeMySQL renders mysql://user@host:port/db (unix(path) for a socket).
func describeMySQL(cfg *mysql.Config) string {
	if cfg.Net == "unix" {
		return describeDSN(MySQL, cfg.User, "unix("+cfg.Addr+")", "", cfg.DBName)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		host, port = cfg.Addr, ""
	}
	return describeDSN(MySQL, cfg.User, host, port, cfg.DBName)
}

// scrubSecret removes a password (raw and URL-escaped) from an error's
// text, for drivers that might echo it.
func scrubSecret(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("", s).String()[1:]} {
			if form != "" && strings.Contains(msg, form) {
				msg = strings.ReplaceAll(msg, form, "xxxxx")
				changed = true
			}
		}
	}
	if !changed {
		return err
	}
	return errors.New(msg)
}

// MySQLNativeDSN is a MySQL/MariaDB DSN — go-sql-driver form or a
// mysql:// / mariadb:// URL — in go-sql-driver form, with the adapter's
// session settings (parseMySQLDSN): what code that opens the server
// without Open (change capture's binlog and apply sessions) needs. Errors
// never quote the DSN.
func MySQLNativeDSN(dsn string) (string, error) {
	cfg, err := parseMySQLDSN(dsn)
	if err != nil {
		return "", err
	}
	return cfg.FormatDSN(), nil
}
