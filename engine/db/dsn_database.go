package db

import (
	"fmt"
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
