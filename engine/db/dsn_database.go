package db

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// DatabaseOf is the database a PostgreSQL or MySQL DSN names.
func DatabaseOf(driver, dsn string) (string, error) {
	switch driver {
	case Postgres:
		return parsePGDSN(dsn).db, nil
	case MySQL:
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return "", err
		}
		return cfg.DBName, nil
	}
	return "", fmt.Errorf("%s DSNs name no database", driver)
}

// WithDatabase is dsn naming database instead of its own: how a drill
// reaches the clone of a database with the live connection's credentials.
// A MySQL DSN comes back in the driver's own form.
func WithDatabase(driver, dsn, database string) (string, error) {
	switch driver {
	case Postgres:
		if _, ok := cutScheme(dsn, "postgres://", "postgresql://"); ok {
			u, err := url.Parse(dsn)
			if err != nil {
				return "", fmt.Errorf("invalid PostgreSQL URL")
			}
			u.Path, u.RawPath = "/"+database, ""
			return u.String(), nil
		}
		// libpq keyword form: the last dbname wins
		return strings.TrimSpace(dsn) + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(database) + "'", nil
	case MySQL:
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return "", err
		}
		cfg.DBName = database
		return cfg.FormatDSN(), nil
	}
	return "", fmt.Errorf("%s DSNs name no database", driver)
}

// AddressOf is the host:port a PostgreSQL or MySQL DSN connects to over
// TCP; a Unix socket is an error.
func AddressOf(driver, dsn string) (string, error) {
	switch driver {
	case Postgres:
		p := parsePGDSN(dsn)
		host := p.host
		if host == "" {
			host = "localhost"
		}
		if strings.HasPrefix(host, "/") || strings.Contains(host, ",") {
			return "", fmt.Errorf("the PostgreSQL DSN connects through %s, not one TCP address", host)
		}
		return net.JoinHostPort(host, p.port), nil
	case MySQL:
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return "", err
		}
		if cfg.Net != "tcp" {
			return "", fmt.Errorf("the MySQL DSN connects through %s, not TCP", cfg.Net)
		}
		return cfg.Addr, nil
	}
	return "", fmt.Errorf("a %s connection has no network address", driver)
}

// WithAddress is dsn connecting to addr (host:port) instead: how a drill
// routes a connection through its relay.
func WithAddress(driver, dsn, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	switch driver {
	case Postgres:
		if _, ok := cutScheme(dsn, "postgres://", "postgresql://"); ok {
			u, err := url.Parse(dsn)
			if err != nil {
				return "", fmt.Errorf("invalid PostgreSQL URL")
			}
			u.Host = addr
			return u.String(), nil
		}
		return strings.TrimSpace(dsn) + " host=" + host + " port=" + port, nil
	case MySQL:
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return "", err
		}
		cfg.Net, cfg.Addr = "tcp", addr
		return cfg.FormatDSN(), nil
	}
	return "", fmt.Errorf("a %s connection has no network address", driver)
}
