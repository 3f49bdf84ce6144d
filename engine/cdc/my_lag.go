package cdc

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// MyLagReading is one measurement of a MariaDB stream against its source.
// A figure that cannot be measured is -1: the bytes before the capture has
// spooled or read a transaction (no binlog coordinate known yet), or when
// the binlog file of the coordinate is no longer on the server; the
// seconds whenever the bytes are -1.
type MyLagReading struct {
	// SourceLagBytes: binlog bytes the server has written after the
	// capture's point (the capture's read point when given, else the commit
	// of the last spooled transaction — then other tables' writes count
	// too, an upper bound). SourceLagMS: 0 when that is nothing, else now
	// minus the commit time at the point.
	SourceLagBytes int64
	SourceLagMS    int64
	// OldestLog is the oldest binlog on the server and the GTID position it
	// starts from; HeadroomBytes the binlog bytes on the server before the
	// file holding the saved position (what can be purged or expire before
	// the position is lost; 0: the next purge loses it; -1 unknown, or the
	// position is in the active binlog, which no purge removes — a fresh
	// or caught-up stream is not at risk and must not be graded low).
	OldestLog     string
	OldestGTID    string
	HeadroomBytes int64
	// ServerGTID is the server's gtid_binlog_pos; Lost, when not empty,
	// says why the saved position can no longer be resumed (the evidence
	// of a *PositionLostError).
	ServerGTID string
	Lost       []string
}

// MyPoint is a place in the binlog with the commit time of the transaction
// that ends there.
type MyPoint struct {
	File string
	Pos  int64
	At   time.Time
}

// MyLag measures a MariaDB stream for the lag sampler: sp is the journal's
// fold of the stream (ReadSpooled), read the capture's read point
// (MyCapture.ReadPoint; zero when no capture runs in this process).
func MyLag(ctx context.Context, dsn string, sp Spooled, read MyPoint) (MyLagReading, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return MyLagReading{}, err
	}
	defer db.Close()
	h, err := myHeadroom(ctx, db, sp.Resume())
	if err != nil {
		return MyLagReading{}, err
	}
	r := MyLagReading{SourceLagBytes: -1, SourceLagMS: -1, OldestLog: h.OldestLog, OldestGTID: h.OldestGTID,
		HeadroomBytes: -1, ServerGTID: h.ServerGTID, Lost: h.Lost}
	point := read
	if point.File == "" && sp.LastCommit != "" {
		point = parseMyPoint(sp.LastCommit, sp.LastAt)
	}
	if point.File == "" {
		return r, nil
	}
	var before, after int64
	found := false
	for _, f := range h.files {
		switch {
		case f.name == point.File:
			found = true
			after += max(0, f.size-point.Pos)
		case found:
			after += f.size
		default:
			before += f.size
		}
	}
	if !found {
		return r, nil
	}
	r.SourceLagBytes, r.HeadroomBytes = after, before
	if point.File == h.files[len(h.files)-1].name {
		r.HeadroomBytes = -1 // the active binlog: PURGE and expiry never remove it
	}
	r.SourceLagMS = 0
	if after > 0 && !point.At.IsZero() {
		r.SourceLagMS = max(0, time.Since(point.At).Milliseconds())
	}
	return r, nil
}

// parseMyPoint reads "file:offset".
func parseMyPoint(s string, at time.Time) MyPoint {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return MyPoint{}
	}
	pos, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil {
		return MyPoint{}
	}
	return MyPoint{File: s[:i], Pos: pos, At: at}
}

// myHeadroomState is the server's binlog against a saved position.
type myHeadroomState struct {
	files      []myBinlog
	OldestLog  string
	OldestGTID string
	ServerGTID string
	Lost       []string
}

type myBinlog struct {
	name string
	size int64
}

// myHeadroom lists the binlogs and checks that saved (a MariaDB GTID
// position) can still be served: every domain of the oldest binlog's
// starting position must be at or before saved's (else the transactions
// between were purged), and the server's binlog must reach saved in every
// domain (else it is not the binlog the position was taken on).
func myHeadroom(ctx context.Context, db *sql.DB, saved string) (myHeadroomState, error) {
	var h myHeadroomState
	rows, err := db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return h, fmt.Errorf("cdc: SHOW BINARY LOGS: %w", err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		var name string
		var size int64
		dest := []any{&name, &size}
		for len(dest) < len(cols) {
			dest = append(dest, new(any))
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return h, fmt.Errorf("cdc: SHOW BINARY LOGS: %w", err)
		}
		h.files = append(h.files, myBinlog{name, size})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, fmt.Errorf("cdc: SHOW BINARY LOGS: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&h.ServerGTID); err != nil {
		return h, fmt.Errorf("cdc: read gtid_binlog_pos: %w", err)
	}
	want, err := myGTIDSeqs(saved)
	if err != nil {
		return h, fmt.Errorf("cdc: saved position %q: %w", saved, err)
	}
	if len(h.files) == 0 {
		h.Lost = append(h.Lost, fmt.Sprintf("the server holds no binlog; the journal's position is %s", saved))
		return h, nil
	}
	h.OldestLog = h.files[0].name
	var oldest sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, 4)", h.OldestLog).Scan(&oldest); err != nil {
		return h, fmt.Errorf("cdc: BINLOG_GTID_POS(%s, 4): %w", h.OldestLog, err)
	}
	h.OldestGTID = oldest.String
	from, err := myGTIDSeqs(oldest.String)
	if err != nil {
		return h, fmt.Errorf("cdc: oldest binlog %s starts at %q: %w", h.OldestLog, oldest.String, err)
	}
	for dom, seq := range from {
		if have := want[dom]; have < seq {
			h.Lost = append(h.Lost, fmt.Sprintf("binlog purged: the oldest binlog on the server, %s, starts after GTID %s, the journal's position is %s: domain %d transactions %d to %d are gone",
				h.OldestLog, orNone(oldest.String), orNone(saved), dom, have+1, seq))
		}
	}
	server, err := myGTIDSeqs(h.ServerGTID)
	if err != nil {
		return h, fmt.Errorf("cdc: gtid_binlog_pos %q: %w", h.ServerGTID, err)
	}
	for dom, seq := range want {
		if server[dom] < seq {
			h.Lost = append(h.Lost, fmt.Sprintf("the server's binlog ends at GTID %s, before the journal's position %s in domain %d (the source was restored, reset or is another server)",
				orNone(h.ServerGTID), saved, dom))
		}
	}
	return h, nil
}

// myGTIDSeqs maps each domain of a MariaDB GTID position to its sequence.
func myGTIDSeqs(pos string) (map[uint32]uint64, error) {
	out := map[uint32]uint64{}
	if strings.TrimSpace(pos) == "" {
		return out, nil
	}
	set, err := gomysql.ParseMariadbGTIDSet(pos)
	if err != nil {
		return nil, err
	}
	for dom, g := range set.(*gomysql.MariadbGTIDSet).Sets {
		out[dom] = g.SequenceNumber
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
