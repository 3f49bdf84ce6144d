package db

// Running the engines' own dump and restore programs (pg_dump, pg_restore,
// mysqldump, mysql) for native snapshots. Credentials reach them through
// the environment or a private temporary options file, never the command
// line (which every user sees in ps); their stderr is redacted before it
// goes into an error.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/tightrope/tightrope/journal"
)

// findTool finds the first of names on PATH. The error names the method,
// every program looked for, and what to install.
func findTool(method, install string, names ...string) (Tool, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			return Tool{Name: n, Path: p}, nil
		}
	}
	return Tool{}, fmt.Errorf("snapshot method %s needs %s, which is not on PATH: install %s", method,
		strings.Join(names, " or "), install)
}

// toolVersion runs the tool with --version and returns the first line of
// its answer. Answers are kept for the process's lifetime, keyed by the
// binary's path, size and modification time: every snapshot and restore
// asks, and Debian's pg_dump and pg_restore are a Perl wrapper that takes
// tens of milliseconds to start. (A wrapper can start dispatching to a
// newly installed version without changing itself; the version only serves
// the friendly pre-checks — pg_dump and pg_restore refuse versions they
// cannot work with themselves.)
func toolVersion(ctx context.Context, t Tool) (string, error) {
	key := t.Path
	if fi, err := os.Stat(t.Path); err == nil {
		key = fmt.Sprintf("%s\x00%d\x00%d", t.Path, fi.Size(), fi.ModTime().UnixNano())
	}
	if v, ok := toolVersions.Load(key); ok {
		return v.(string), nil
	}
	out, err := exec.CommandContext(ctx, t.Path, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", t.Path, err)
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	toolVersions.Store(key, line)
	return line, nil
}

// toolVersions caches toolVersion's answers.
var toolVersions sync.Map

var versionNumber = regexp.MustCompile(`(\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// versionParts returns the first version number in s as numbers (major,
// minor, patch as far as present: "17devel" is [17]), or nil when there
// is none.
func versionParts(s string) []int {
	m := versionNumber.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	var out []int
	for _, p := range m[1:] {
		if p == "" {
			break
		}
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

// toolRun is one run of an external program.
type toolRun struct {
	tool    Tool
	args    []string
	env     []string  // added to the process environment
	stdin   io.Reader // nil: no input
	stdout  io.Writer // nil: discarded
	secrets []string  // removed from stderr before it goes into an error
}

// maxToolStderr bounds how much of a tool's stderr an error quotes.
const maxToolStderr = 4 << 10

// run runs the program and waits for it. A failure quotes the end of its
// stderr, redacted.
func (r toolRun) run(ctx context.Context) error {
	cmd := r.command(ctx)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return r.result(cmd.Run(), &stderr)
}

// command builds the process; the caller sets Stderr.
func (r toolRun) command(ctx context.Context) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.tool.Path, r.args...)
	cmd.Env = append(os.Environ(), r.env...)
	cmd.Stdin = r.stdin
	cmd.Stdout = r.stdout
	return cmd
}

// result turns the process's exit into an error quoting its stderr.
func (r toolRun) result(err error, stderr *bytes.Buffer) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(stderr.String())
	if len(msg) > maxToolStderr {
		msg = "…" + msg[len(msg)-maxToolStderr:]
	}
	msg = journal.RedactText(msg, r.secrets)
	if msg == "" {
		return fmt.Errorf("%s: %w", r.tool.Name, err)
	}
	return fmt.Errorf("%s: %w: %s", r.tool.Name, err, msg)
}

// privateDir makes a directory only the current user can read, for
// options files holding credentials; remove it with os.RemoveAll.
func privateDir() (string, error) {
	return os.MkdirTemp("", "tightrope-tool-")
}

// finishFile moves a completed temporary file into place and syncs it and
// its directory, so a snapshot file either exists whole or not at all.
func finishFile(tmp, final string) error {
	if _, err := os.Lstat(final); err == nil {
		return fmt.Errorf("%s already exists", final)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := sqliteSyncPath(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	return sqliteSyncPath(filepath.Dir(final))
}

// ErrSnapshotMissing is wrapped when an in-server snapshot database no
// longer exists.
var ErrSnapshotMissing = errors.New("snapshot artefact is missing")

// snapshotName makes an in-server database name from the live database's
// name, a tag and the snapshot's name: live__tag_name with the name in
// lower case [a-z0-9_], at most 64 characters (MySQL's limit). A longer
// name keeps live__tag_ and as much of the name as fits, then a hash of
// the whole, so it stays unique; only a live name longer than 40
// characters is itself cut. The result always contains "__tag_".
func snapshotName(live, tag, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	clean, prefix := b.String(), live+"__"+tag+"_"
	if len(prefix)+len(clean) <= 64 {
		return prefix + clean
	}
	h := fmt.Sprintf("%016x", hash64(prefix+clean))
	if room := 64 - len(prefix) - 1 - len(h); room >= 0 {
		return prefix + clean[:room] + "_" + h
	}
	cut := strings.ToValidUTF8(live[:64-len("__"+tag+"_")-len(h)], "")
	return cut + "__" + tag + "_" + h
}

// hash64 is FNV-1a: a short, stable discriminator for cut names.
func hash64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
