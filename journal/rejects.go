package journal

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// rejectsTag is the domain separation tag of a reject batch digest.
const rejectsTag = "tightrope/rejects/v1"

// RejectRow is one source row that did not make it into the target, as the
// copy hands it to AddRejects. Values follow the canonical JSON rules of
// this package (see canon.go): numbers keep their exact text, []byte is kept
// as text when it is UTF-8 and as {"$base64": ...} otherwise.
type RejectRow struct {
	Table  string         // source table
	Key    any            // primary key: map[string]any (column → value) or []any (in key order)
	Row    map[string]any // the whole source row, column → value
	Column string         // the column whose value did not fit; "" for a row-level reason
	Reason string         // short, stable reason, counted in RejectsPayload.ByReason
	Detail string         // one human sentence
}

// RejectRecord is a reject row as stored (canonical JSON; key and row have
// only exact secret values redacted, never password-shaped data).
type RejectRecord struct {
	ID     int64           `json:"id"`
	RunSeq int64           `json:"run_seq"` // last event seq when the row was written
	StepID string          `json:"step_id"`
	Table  string          `json:"table"`
	Key    json.RawMessage `json:"key"`
	Row    json.RawMessage `json:"row"`
	Column string          `json:"column"`
	Reason string          `json:"reason"`
	Detail string          `json:"detail"`
	Batch  string          `json:"batch"` // digest of the AddRejects call that wrote it
}

// AddRejects writes rows to the rejects table in one transaction, redacted
// like payloads, and returns the hex sha256 digest of the batch as stored.
// Put it in the RowsRejected event for the batch (RejectsPayload.RowsSHA256):
// the chain then binds the rows, and Verify detects a changed, added or
// removed reject row. No rows: no write, digest "". AppendRejects does both
// in one transaction and is what a copy should use.
func (s *Store) AddRejects(ctx context.Context, stepID string, rows []RejectRow) (string, error) {
	if len(rows) == 0 {
		return "", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.rejectRecords(stepID, rows)
	if err != nil {
		return "", err
	}
	var digest string
	err = s.tx(ctx, func(tx *sql.Tx) error {
		digest, err = insertRejects(ctx, tx, recs)
		return err
	})
	if err != nil {
		return "", err
	}
	return digest, nil
}

// AppendRejects writes reject rows and the rows_rejected event naming them
// in one transaction: a crash leaves both or neither, so the rows are
// always bound to the chain. p.RowsSHA256 is set to the batch digest.
func (s *Store) AppendRejects(ctx context.Context, actor, stepID string, rows []RejectRow, p RejectsPayload) (Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.rejectRecords(stepID, rows)
	if err != nil {
		return Event{}, err
	}
	var ev Event
	err = s.tx(ctx, func(tx *sql.Tx) error {
		digest, err := insertRejects(ctx, tx, recs)
		if err != nil {
			return err
		}
		p.RowsSHA256 = digest
		ev, err = s.insertEvent(ctx, tx, actor, stepID, RowsRejected, p)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	return ev, nil
}

// rejectRecords canonicalises and redacts rows; the caller holds s.mu.
func (s *Store) rejectRecords(stepID string, rows []RejectRow) ([]RejectRecord, error) {
	recs := make([]RejectRecord, len(rows))
	for i, r := range rows {
		key, err := s.red.canonData(r.Key)
		if err != nil {
			return nil, fmt.Errorf("journal: reject %d key: %w", i, err)
		}
		row, err := s.red.canonData(r.Row)
		if err != nil {
			return nil, fmt.Errorf("journal: reject %d row: %w", i, err)
		}
		recs[i] = RejectRecord{
			StepID: s.red.text(stepID), Table: s.red.text(r.Table), Key: key, Row: row,
			Column: s.red.text(r.Column), Reason: s.red.text(r.Reason), Detail: s.red.text(r.Detail),
		}
	}
	return recs, nil
}

// insertRejects numbers and inserts records inside tx and returns the
// batch digest.
func insertRejects(ctx context.Context, tx *sql.Tx, recs []RejectRecord) (string, error) {
	seq, _, err := lastEvent(ctx, tx)
	if err != nil {
		return "", err
	}
	var next int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM rejects`).Scan(&next); err != nil {
		return "", fmt.Errorf("journal: rejects: %w", err)
	}
	for i := range recs {
		recs[i].ID, recs[i].RunSeq = next+int64(i), seq
	}
	digest := rejectsDigest(recs)
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO rejects
		(id, run_seq, step_id, tbl, key_json, row_json, col, reason, detail, batch)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return "", fmt.Errorf("journal: rejects: %w", err)
	}
	defer stmt.Close()
	for _, r := range recs {
		if _, err := stmt.ExecContext(ctx, r.ID, r.RunSeq, r.StepID, r.Table, string(r.Key), string(r.Row),
			r.Column, r.Reason, r.Detail, digest); err != nil {
			return "", fmt.Errorf("journal: reject %d: %w", r.ID, err)
		}
	}
	return digest, nil
}

// NewRejects returns the rows not yet stored for this step: a row is known
// when a reject with the same step, table and key exists. A copy that
// resumes after a crash re-reads the batch it was writing; this keeps its
// rejects exactly once.
func (s *Store) NewRejects(ctx context.Context, stepID string, rows []RejectRow) ([]RejectRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh []RejectRow
	for i, r := range rows {
		key, err := s.red.canonData(r.Key)
		if err != nil {
			return nil, fmt.Errorf("journal: reject %d key: %w", i, err)
		}
		var n int
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM rejects WHERE step_id = ? AND tbl = ? AND key_json = ?`,
			s.red.text(stepID), s.red.text(r.Table), string(key)).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("journal: rejects: %w", err)
		}
		if n == 0 {
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

// rejectsDigest is the hex sha256 of a batch: the domain tag, then for each
// row its id and run_seq (8 bytes big-endian each) and step_id, table, key,
// row, column, reason and detail, each length-prefixed as in chainHash.
func rejectsDigest(recs []RejectRecord) string {
	h := sha256.New()
	writeField(h, []byte(rejectsTag))
	for _, r := range recs {
		var n [16]byte
		binary.BigEndian.PutUint64(n[:8], uint64(r.ID))
		binary.BigEndian.PutUint64(n[8:], uint64(r.RunSeq))
		writeField(h, n[:])
		for _, f := range []string{r.StepID, r.Table, string(r.Key), string(r.Row), r.Column, r.Reason, r.Detail} {
			writeField(h, []byte(f))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReadRejects returns every reject row of a journal in the order written,
// opening it read-only. It holds them all in memory: EachReject walks them
// one at a time.
func ReadRejects(path string) ([]RejectRecord, error) {
	var recs []RejectRecord
	err := EachReject(context.Background(), path, func(r RejectRecord) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

// EachReject calls fn with every reject row of a journal in the order
// written, opening it read-only, without holding them: memory stays flat
// however many rows were rejected. It stops at fn's first error and
// returns it.
func EachReject(ctx context.Context, path string, fn func(RejectRecord) error) error {
	db, err := openRead(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := eachReject(ctx, db, fn); err != nil {
		return fmt.Errorf("journal %s: rejects: %w", path, err)
	}
	return nil
}

func eachReject(ctx context.Context, db *sql.DB, fn func(RejectRecord) error) error {
	rows, err := db.QueryContext(ctx, `SELECT id, run_seq, step_id, tbl, key_json, row_json, col, reason, detail, batch
		FROM rejects ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r RejectRecord
		var key, row []byte
		if err := rows.Scan(&r.ID, &r.RunSeq, &r.StepID, &r.Table, &key, &row, &r.Column, &r.Reason, &r.Detail, &r.Batch); err != nil {
			return err
		}
		r.Key, r.Row = json.RawMessage(key), json.RawMessage(row)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RejectsWriter writes reject rows one at a time in an export format
// (NewRejectsCSV, NewRejectsJSON), so an export streams; Close ends the
// document and flushes it.
type RejectsWriter interface {
	Write(RejectRecord) error
	Close() error
}

// NewRejectsCSV writes reject rows as CSV with a header line; key and row
// are JSON text in their cells.
func NewRejectsCSV(w io.Writer) RejectsWriter {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "run_seq", "step_id", "table", "key", "row", "column", "reason", "detail"})
	return &rejectsCSV{cw: cw}
}

type rejectsCSV struct{ cw *csv.Writer }

func (c *rejectsCSV) Write(r RejectRecord) error {
	return c.cw.Write([]string{
		strconv.FormatInt(r.ID, 10), strconv.FormatInt(r.RunSeq, 10), r.StepID, r.Table,
		string(r.Key), string(r.Row), r.Column, r.Reason, r.Detail,
	})
}

func (c *rejectsCSV) Close() error {
	c.cw.Flush()
	return c.cw.Error()
}

// NewRejectsJSON writes reject rows as a JSON array, one record per line,
// key and row embedded as JSON.
func NewRejectsJSON(w io.Writer) RejectsWriter {
	j := &rejectsJSON{w: bufio.NewWriterSize(w, 64<<10)}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	j.w.WriteString("[")
	return j
}

type rejectsJSON struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	n   int
}

func (j *rejectsJSON) Write(r RejectRecord) error {
	j.buf.Reset()
	if j.n > 0 {
		j.buf.WriteString(",")
	}
	j.buf.WriteString("\n")
	if err := j.enc.Encode(r); err != nil {
		return fmt.Errorf("journal: reject %d: %w", r.ID, err)
	}
	j.buf.Truncate(j.buf.Len() - 1) // the encoder's newline
	j.n++
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

func (j *rejectsJSON) Close() error {
	if j.n > 0 {
		j.w.WriteString("\n")
	}
	j.w.WriteString("]\n")
	return j.w.Flush()
}

// WriteRejectsCSV writes recs as CSV with a header line (NewRejectsCSV).
func WriteRejectsCSV(w io.Writer, recs []RejectRecord) error {
	return writeRejects(NewRejectsCSV(w), recs)
}

// WriteRejectsJSON writes recs as a JSON array, one record per line
// (NewRejectsJSON).
func WriteRejectsJSON(w io.Writer, recs []RejectRecord) error {
	return writeRejects(NewRejectsJSON(w), recs)
}

func writeRejects(rw RejectsWriter, recs []RejectRecord) error {
	for _, r := range recs {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Close()
}
