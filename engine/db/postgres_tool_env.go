package db

import "errors"

// PGToolEnv turns a PostgreSQL DSN into the libpq environment variables
// pg_dump and pg_restore read (PGHOST, PGUSER, PGPASSWORD, ...), so that
// no secret appears on a command line.
func PGToolEnv(dsn string) ([]string, error) {
	params := pgConnParams(dsn)
	if params["sslpassword"] != "" {
		return nil, errors.New("postgres: the DSN's sslpassword cannot be handed to pg_dump without showing it on its command line")
	}
	var env []string
	for k, v := range params {
		if name, ok := pgEnvVars[k]; ok && v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env, nil
}
