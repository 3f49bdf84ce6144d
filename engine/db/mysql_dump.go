package db

// The mysqldump snapshot method of MySQL/MariaDB (see mysql_snapshot.go).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// dumpSnapshot dumps the database with mysqldump --single-transaction into
// file while the tables are held with LOCK TABLES … READ, and meanwhile
// hands the (unchanging) live database to sums: dump and checksums see the
// same data.
func (m *mySnapDB) dumpSnapshot(ctx context.Context, file string, sums func(view DB) error) (SnapshotInfo, error) {
	dump, _, err := m.myTools(ctx)
	if err != nil {
		return SnapshotInfo{}, err
	}
	if _, err := os.Lstat(file); err == nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: %s already exists", file)
	}
	opts, cleanup, err := m.writeOptions()
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer cleanup()
	tables, err := m.baseTables(ctx, m.dbName)
	if err != nil {
		return SnapshotInfo{}, err
	}
	lock, err := m.db.Conn(ctx)
	if err != nil {
		return SnapshotInfo{}, err
	}
	defer discardConn(lock)
	if len(tables) > 0 {
		var list []string
		for _, t := range tables {
			list = append(list, m.Quote(m.dbName)+"."+m.Quote(t)+" READ")
		}
		if _, err := lock.ExecContext(ctx, "LOCK TABLES "+strings.Join(list, ", ")); err != nil {
			return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: locking the tables for the dump: %w", err)
		}
	}
	tmp := file + ".partial"
	defer os.Remove(tmp)
	dumpCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := toolRun{tool: dump, secrets: []string{m.cfg.Passwd}, args: myDumpArgs(opts, tmp, m.dbName)}
	cmd := run.command(dumpCtx)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: %w", err)
	}
	sumErr := sums(m.myDB)
	if sumErr != nil {
		cancel()
	}
	dumpErr := run.result(cmd.Wait(), &stderr)
	switch {
	case sumErr != nil:
		return SnapshotInfo{}, sumErr
	case dumpErr != nil:
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: %w", dumpErr)
	}
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: %w", err)
	}
	if err := finishFile(tmp, file); err != nil {
		return SnapshotInfo{}, fmt.Errorf("mysql: snapshot: %w", err)
	}
	return SnapshotInfo{Artefact: file, Scope: "database " + m.Quote(m.dbName), Tool: dump}, nil
}

// dumpRestore pipes the dump file into mysql. Not atomic: each table is
// dropped, recreated and filled in turn.
func (m *mySnapDB) dumpRestore(ctx context.Context, file string) error {
	_, client, err := m.myTools(ctx)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("mysql: restore: %w", err)
	}
	defer f.Close()
	opts, cleanup, err := m.writeOptions()
	if err != nil {
		return err
	}
	defer cleanup()
	err = toolRun{tool: client, stdin: f, secrets: []string{m.cfg.Passwd}, args: myClientArgs(opts, m.dbName)}.run(ctx)
	if err != nil {
		return fmt.Errorf("mysql: restore of %s (not atomic: tables before the failure are restored; run it again): %w", file, err)
	}
	return nil
}

// writeOptions writes the options file into a private directory; cleanup
// removes both.
func (m *mySnapDB) writeOptions() (path string, cleanup func(), err error) {
	text, err := m.optionsFile()
	if err != nil {
		return "", nil, err
	}
	dir, err := privateDir()
	if err != nil {
		return "", nil, err
	}
	path = filepath.Join(dir, "client.cnf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return path, func() { os.RemoveAll(dir) }, nil
}

// splitHostPortDefault splits host:port, port 3306 when absent.
func splitHostPortDefault(addr string) (string, string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if !strings.Contains(err.Error(), "missing port") {
			return "", "", fmt.Errorf("mysql: address %q: %w", addr, err)
		}
		host, port = strings.Trim(addr, "[]"), "3306"
	}
	return host, port, nil
}

// myTools finds the dump and client programs, MariaDB's names first on a
// MariaDB server.
func (m *mySnapDB) myTools(ctx context.Context) (dump, client Tool, err error) {
	server, err := m.serverTool(ctx)
	if err != nil {
		return dump, client, err
	}
	dumps, clients := []string{"mysqldump", "mariadb-dump"}, []string{"mysql", "mariadb"}
	if server.Name == "mariadb" {
		dumps, clients = []string{"mariadb-dump", "mysqldump"}, []string{"mariadb", "mysql"}
	}
	if dump, err = findTool(MethodMysqldump, myInstall, dumps...); err != nil {
		return
	}
	if client, err = findTool(MethodMysqldump, myInstall, clients...); err != nil {
		return
	}
	if dump.Version, err = toolVersion(ctx, dump); err != nil {
		return
	}
	client.Version, err = toolVersion(ctx, client)
	return dump, client, err
}

// errMySQLTLS: a registered tls.Config has no options-file form.
var errMySQLTLS = errors.New("mysql: a custom TLS configuration (tls=<name>) cannot be handed to mysqldump and mysql; use tls=true, skip-verify or preferred")

// optionsFile renders the [client] options file with the credentials.
func (m *mySnapDB) optionsFile() (string, error) {
	c := m.cfg
	quote := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
	}
	lines := []string{"[client]", "user=" + quote(c.User), "password=" + quote(c.Passwd)}
	if c.Net == "unix" {
		lines = append(lines, "socket="+quote(c.Addr), "protocol=SOCKET")
	} else {
		host, port, err := splitHostPortDefault(c.Addr)
		if err != nil {
			return "", err
		}
		lines = append(lines, "host="+quote(host), "port="+port, "protocol=TCP")
	}
	switch c.TLSConfig {
	case "", "false":
	case "true":
		lines = append(lines, "loose-ssl=1", "loose-ssl-verify-server-cert=1", "loose-ssl-mode=VERIFY_IDENTITY")
	case "skip-verify":
		lines = append(lines, "loose-ssl=1", "loose-ssl-mode=REQUIRED")
	case "preferred":
		lines = append(lines, "loose-ssl-mode=PREFERRED")
	default:
		return "", errMySQLTLS
	}
	return strings.Join(lines, "\n") + "\n", nil
}
