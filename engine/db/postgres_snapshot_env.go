package db

// The environment pg_dump and pg_restore run with: the pool's DSN as libpq
// environment variables, so that no secret appears on a command line.

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// pgEnvVars maps libpq connection keywords to the environment variables
// libpq reads them from.
var pgEnvVars = map[string]string{
	"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
	"password": "PGPASSWORD", "passfile": "PGPASSFILE", "service": "PGSERVICE", "servicefile": "PGSERVICEFILE",
	"options": "PGOPTIONS", "application_name": "PGAPPNAME", "connect_timeout": "PGCONNECT_TIMEOUT",
	"sslmode": "PGSSLMODE", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslrootcert": "PGSSLROOTCERT",
	"sslcrl": "PGSSLCRL", "sslcrldir": "PGSSLCRLDIR", "sslsni": "PGSSLSNI", "requirepeer": "PGREQUIREPEER",
	"ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION", "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
	"gssencmode": "PGGSSENCMODE", "krbsrvname": "PGKRBSRVNAME", "gsslib": "PGGSSLIB",
	"channel_binding": "PGCHANNELBINDING", "target_session_attrs": "PGTARGETSESSIONATTRS",
	"load_balance_hosts": "PGLOADBALANCEHOSTS", "requiressl": "PGREQUIRESSL", "sslcompression": "PGSSLCOMPRESSION",
}

// pgToolEnv turns the pool's DSN into libpq environment variables for
// pg_dump and pg_restore, and returns the secrets to redact. Settings that
// are pgx's own (pool sizes, runtime parameters such as search_path) are
// left out: the tools set their own session.
func (p *pgDB) pgToolEnv() (env, secrets []string, err error) {
	cfg := p.pool.Config()
	params := pgConnParams(cfg.ConnString())
	cc := cfg.ConnConfig
	fill := map[string]string{"dbname": cc.Database, "user": cc.User, "host": cc.Host, "port": fmt.Sprint(cc.Port)}
	for k, v := range fill {
		if params[k] == "" && v != "" && v != "0" {
			params[k] = v
		}
	}
	if params["password"] == "" && cc.Password != "" { // e.g. read by pgx from a passfile
		params["password"] = cc.Password
	}
	if params["sslpassword"] != "" {
		return nil, nil, errors.New("postgres: the DSN's sslpassword cannot be handed to pg_dump without showing it on its command line; use an unencrypted key or a service file")
	}
	for k, v := range params {
		if name, ok := pgEnvVars[k]; ok && v != "" {
			env = append(env, name+"="+v)
		}
	}
	return env, []string{params["password"]}, nil
}

// pgConnParams reads a postgres:// URL (several host:port pairs allowed)
// or libpq key=value pairs into keywords.
func pgConnParams(dsn string) map[string]string {
	rest, ok := cutScheme(dsn, "postgres://", "postgresql://")
	if !ok {
		return pgKeywords(dsn)
	}
	out := map[string]string{}
	rest, query, _ := strings.Cut(rest, "?")
	authority, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		user, pass, _ := strings.Cut(authority[:i], ":")
		out["user"], out["password"] = unescape(user), unescape(pass)
		authority = authority[i+1:]
	}
	var hosts, ports []string
	for _, hp := range strings.Split(authority, ",") {
		h, port, err := net.SplitHostPort(hp)
		if err != nil {
			h, port = strings.Trim(hp, "[]"), ""
		}
		hosts, ports = append(hosts, unescape(h)), append(ports, port)
	}
	if strings.Join(hosts, "") != "" {
		out["host"] = strings.Join(hosts, ",")
	}
	if strings.Join(ports, "") != "" {
		out["port"] = strings.Join(ports, ",")
	}
	out["dbname"] = unescape(path)
	if q, err := url.ParseQuery(query); err == nil {
		for k := range q {
			out[k] = q.Get(k)
		}
	}
	return out
}
