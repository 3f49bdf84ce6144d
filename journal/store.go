package journal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed schema.sql
var schemaSQL string

// Identity of a journal file, written by schema.sql and checked on open.
const (
	applicationID = 0x74726f70 // "trop"
	schemaVersion = 1
)

// Errors callers may test with errors.Is.
var (
	// ErrExists is returned by Create when the journal file already exists.
	ErrExists = errors.New("journal file already exists")
	// ErrChainBroken is returned by OpenWriter when Verify finds a broken
	// hash chain: a tampered journal is never appended to.
	ErrChainBroken = errors.New("journal hash chain broken")
	// ErrNotJournal is returned when a file is not a tightrope journal (or a
	// schema version this build does not know).
	ErrNotJournal = errors.New("not a tightrope journal")
)

// Store is the single writer of one journal file. Append and AddRejects are
// safe for concurrent use; each is one immediate transaction on the one
// writer connection. Readers (ReadAll, Follow, Verify, ReadRejects) open the
// file read-only and never need a Store.
type Store struct {
	// Now stamps events; time.Now unless replaced. Set it before the
	// first Append, or pass WithClock to Create so seq 1 uses it too.
	Now func() time.Time

	path  string
	db    *sql.DB
	first Event // seq 1, RunStarted

	mu  sync.Mutex // serialises writes; guards red
	red redactor
	key []byte // journal key (WithKey): the chain is an HMAC chain with a head seal
}

// Option configures a Store before Create or OpenWriter writes anything.
type Option func(*Store)

// WithClock replaces time.Now as the clock stamping events.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.Now = now } }

// WithSecrets registers secrets (see AddSecret) before the first event is
// written, so even seq 1 is scrubbed of them.
func WithSecrets(secrets ...string) Option {
	return func(s *Store) {
		for _, x := range secrets {
			s.red.add(x)
		}
	}
}

// Create makes a new journal at path and writes event seq 1, RunStarted,
// with first as its payload. It refuses a path that already exists. When
// first.RunbookSHA256 is empty it is computed from first.RunbookText; when
// it is set it must match. On any failure nothing is left at path.
func Create(path string, first RunStartedPayload, actor string, opts ...Option) (*Store, error) {
	sum := sha256.Sum256([]byte(first.RunbookText))
	switch want := hex.EncodeToString(sum[:]); first.RunbookSHA256 {
	case "":
		first.RunbookSHA256 = want
	case want:
	default:
		return nil, fmt.Errorf("journal %s: runbook_sha256 %s does not match the runbook text (%s)", path, first.RunbookSHA256, want)
	}
	if err := keyedFirst(&first, opts); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	for _, side := range []string{"-wal", "-journal"} {
		if _, err := os.Stat(path + side); err == nil {
			return nil, fmt.Errorf("journal %s: stale %s file beside it: %w", path, side, ErrExists)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("journal %s: %w", path, ErrExists)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: create: %w", err)
	}
	_ = f.Close()

	s, err := openWriter(path, "rw", opts)
	if err == nil {
		err = s.tx(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(schemaSQL); err != nil {
				return fmt.Errorf("journal %s: schema: %w", path, err)
			}
			if len(s.key) > 0 {
				if _, err := tx.Exec(sealSQL); err != nil {
					return fmt.Errorf("journal %s: seal: %w", path, err)
				}
			}
			var err error
			s.first, err = s.insertEvent(context.Background(), tx, actor, "", RunStarted, first)
			return err
		})
	}
	if err != nil {
		if s != nil {
			_ = s.db.Close()
		}
		// Never the ".lease" sidecar: it may be another process's lock.
		for _, side := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + side)
		}
		return nil, err
	}
	return s, nil
}

// OpenWriter opens an existing journal to append to it (resume). It first
// verifies the hash chain and refuses a broken one with ErrChainBroken. A
// keyed journal needs its key (WithKey) and a key needs a keyed journal,
// else ErrKey; a keyed journal whose head seal does not match its end (events
// cut from it) is refused with ErrChainBroken. Unbound reject rows (a crash
// between AddRejects and its event) do not prevent resuming.
func OpenWriter(path string, opts ...Option) (*Store, error) {
	res, err := Verify(path, opts...)
	if err != nil {
		return nil, err
	}
	switch {
	case res.BrokenSeq != 0:
		return nil, fmt.Errorf("journal %s: seq %d: %s: %w", path, res.BrokenSeq, res.Reason, ErrChainBroken)
	case res.KeyProblem != "":
		return nil, fmt.Errorf("journal %s: %s: %w", path, res.KeyProblem, ErrKey)
	case res.Truncated != "":
		return nil, fmt.Errorf("journal %s: %s: %w", path, res.Truncated, ErrChainBroken)
	}
	s, err := openWriter(path, "rw", opts)
	if err != nil {
		return nil, err
	}
	evs, err := eventsBetween(context.Background(), s.db, 0, 1)
	if err != nil || len(evs) != 1 {
		_ = s.db.Close()
		return nil, fmt.Errorf("journal %s: reading seq 1: %v", path, err)
	}
	s.first = evs[0]
	return s, nil
}

// openWriter opens the single writer connection on an existing file.
func openWriter(path, mode string, opts []Option) (*Store, error) {
	dsn := fileDSN(path, mode) +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("journal %s: open: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("journal %s: open: %w", path, err)
	}
	s := &Store{Now: time.Now, path: path, db: db}
	for _, o := range opts {
		o(s)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	return s, nil
}

// fileDSN is the SQLite URI for path with the busy timeout every connection
// gets; mode is ro, rw or rwc.
func fileDSN(path, mode string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?mode=" + mode + "&_pragma=busy_timeout(5000)"
}

// First is event seq 1, the RunStarted that Create wrote: fold it to begin
// the run's State.
func (s *Store) First() Event { return s.first }

// Path is the journal file's path.
func (s *Store) Path() string { return s.path }

// Close closes the writer connection (checkpointing the WAL).
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

// AddSecret registers a secret that must never reach the journal: from now
// on every payload and reject row has its occurrences replaced by
// "[redacted]", as well as its URL-escaped forms and, when the secret is a
// DSN, its password. Strings shorter than 4 bytes are ignored. Events
// written before the call are not rewritten.
func (s *Store) AddSecret(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.red.add(secret)
}

// Append writes one event durably and returns it as stored: payload
// marshalled to canonical JSON and redacted, seq and hash chained to the
// previous event. RunStarted is reserved for Create.
func (s *Store) Append(ctx context.Context, actor, stepID string, typ Type, payload any) (Event, error) {
	if typ == "" {
		return Event{}, errors.New("journal: append: empty event type")
	}
	if typ == RunStarted {
		return Event{}, errors.New("journal: append: run_started is written by Create only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ev Event
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		ev, err = s.insertEvent(ctx, tx, actor, stepID, typ, payload)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return ev, nil
}

// insertEvent chains and inserts one event inside tx. Callers hold s.mu (or
// own s exclusively, as Create does).
func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, actor, stepID string, typ Type, payload any) (Event, error) {
	body, err := s.red.payload(payload)
	if err != nil {
		return Event{}, fmt.Errorf("journal: %s payload: %w", typ, err)
	}
	at := s.Now().UTC().Format(time.RFC3339Nano)
	when, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Event{}, fmt.Errorf("journal: clock: %w", err)
	}
	seq, prev, err := lastEvent(ctx, tx)
	if err != nil {
		return Event{}, err
	}
	ev := Event{
		Seq: seq + 1, At: when, Actor: s.red.text(actor), StepID: s.red.text(stepID),
		Type: typ, Payload: body, PrevHash: prev,
	}
	ev.Hash = eventHash(s.key, ev.Seq, ev.PrevHash, at, ev.Actor, ev.StepID, string(ev.Type), ev.Payload)
	_, err = tx.ExecContext(ctx,
		`INSERT INTO events (seq, at, actor, step_id, type, payload_json, prev_hash, hash)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Seq, at, ev.Actor, ev.StepID, string(ev.Type), string(ev.Payload), ev.PrevHash, ev.Hash)
	if err != nil {
		return Event{}, fmt.Errorf("journal: append seq %d: %w", ev.Seq, err)
	}
	if len(s.key) > 0 {
		if err := writeSeal(ctx, tx, s.key, ev.Seq, ev.Hash); err != nil {
			return Event{}, err
		}
	}
	return ev, nil
}

// lastEvent returns the seq and hash of the newest event, or 0 and the zero
// hash in an empty journal. Read inside the write transaction, it cannot race.
func lastEvent(ctx context.Context, tx *sql.Tx) (int64, string, error) {
	var seq int64
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, zeroHash, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("journal: last event: %w", err)
	}
	return seq, hash, nil
}

// tx runs fn in one immediate transaction (the DSN sets _txlock), committing
// when fn returns nil and rolling back otherwise.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal %s: begin: %w", s.path, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal %s: commit: %w", s.path, err)
	}
	return nil
}
