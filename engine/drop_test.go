package engine

// A network drop at the wrong moment: a proxy in front of the source
// resets every connection when the copy sends its column catalog query and
// refuses connections for three seconds — as a flapping link looks to a
// client. With stall_timeout 5s the copy must retry and finish exactly
// (it failed with "table …: columns: invalid connection").

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	copyengine "github.com/tightrope/tightrope/engine/copy"
	"github.com/tightrope/tightrope/engine/db"
	"github.com/tightrope/tightrope/internal/dbtest"
	"github.com/tightrope/tightrope/journal"
)

// dropProxy forwards to a server; dropAt arms a drop at a query's text.
type dropProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	query  []byte        // drop when a client sends this (lower case)
	down   time.Duration // how long the network then stays down
	until  time.Time
	drops  int
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.accept()
	t.Cleanup(func() { ln.Close(); p.dropAll() })
	return p
}

func (p *dropProxy) addr() string { return p.ln.Addr().String() }

// dropAt arms a drop at the next client message containing query.
func (p *dropProxy) dropAt(query string, down time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.query, p.down = bytes.ToLower([]byte(query)), down
}

func (p *dropProxy) dropCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.drops
}

func (p *dropProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := time.Now().Before(p.until)
		p.mu.Unlock()
		if down {
			reset(client)
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns[client], p.conns[server] = true, true
		p.mu.Unlock()
		go p.pipe(server, client, true)
		go p.pipe(client, server, false)
	}
}

func (p *dropProxy) pipe(dst, src net.Conn, toServer bool) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && toServer && p.hit(buf[:n]) {
			p.dropAll()
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hit tells whether chunk sets off the armed drop (and disarms it).
func (p *dropProxy) hit(chunk []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.query == nil || !bytes.Contains(bytes.ToLower(chunk), p.query) {
		return false
	}
	p.query, p.until = nil, time.Now().Add(p.down)
	p.drops++
	return true
}

func (p *dropProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		reset(c)
	}
	clear(p.conns)
}

// reset closes c as a dropped connection looks to its peer.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// TestCopySurvivesASourceDropAtItsCatalog: MariaDB → PostgreSQL, the
// source's network drops for 3s just as the copy reads the column catalog;
// stall_timeout 5s; the copy and the verify after it finish exactly.
func TestCopySurvivesASourceDropAtItsCatalog(t *testing.T) {
	const rows = 3000
	myDSN, my := server(t, db.MySQL)
	pgDSN, pg := server(t, db.Postgres)
	table := dbtest.UniqueName(t, "drop")
	for _, d := range []db.DB{my, pg} {
		dbtest.MustExec(t, d, "CREATE TABLE "+table+" (id integer PRIMARY KEY, n integer)")
	}
	t.Cleanup(func() {
		my.SQL().Exec("DROP TABLE IF EXISTS " + table)
		pg.SQL().Exec("DROP TABLE IF EXISTS " + table)
	})
	data := make([][]any, rows)
	for i := range data {
		data[i] = []any{i + 1, i * 7}
	}
	dbtest.InsertRows(t, my, table, []string{"id", "n"}, data)
	addr, through := serverAddr(t, db.MySQL, myDSN)
	proxy := startDropProxy(t, addr)
	t.Setenv("TIGHTROPE_DROP_SOURCE", through(proxy.addr()))
	t.Setenv("TIGHTROPE_DROP_TARGET", pgDSN)
	r := smallRun(t, `version: 1
name: Drop
migration_id: MIG-DROP
decision_maker: alice
objectives: { stall_timeout: 5s }
connections:
  source: { driver: mysql, dsn_env: TIGHTROPE_DROP_SOURCE }
  target: { driver: postgres, dsn_env: TIGHTROPE_DROP_TARGET }
steps:
  - { id: ready, kind: gate, question: "copy now?" }
  - { id: copy, kind: copy, from: source, to: target, tables: [`+table+`], batch: 500 }
  - { id: check, kind: verify, from: source, to: target, tables: [`+table+`] }
`, "alice", "")
	r.c.opts.Copy = copyengine.Tuning{Retries: 6, RetryWait: 250 * time.Millisecond}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	go answerer(ctx, r.c, func(p journal.Pending) Command {
		proxy.dropAt("information_schema.COLUMNS", 3*time.Second) // armed as the copy is about to start
		return Command{Kind: CmdDecide, Actor: "alice", StepID: p.StepID, Choice: journal.ChoiceGo}
	})
	outcome, err := r.c.Run(ctx)
	if outcome != journal.OutcomeFinished || err != nil {
		t.Fatalf("outcome %q: %v", outcome, err)
	}
	s := r.c.State()
	if len(s.Tables) != 1 || s.Tables[0].Read != rows || s.Tables[0].Written != rows {
		t.Errorf("tables: %+v", s.Tables)
	}
	if n := dbtest.Count(t, pg, table); n != rows {
		t.Errorf("the target holds %d rows, want %d", n, rows)
	}
	if proxy.dropCount() != 1 || !hasLog(s, "copy", "retry 1") {
		t.Errorf("%d drops, retry on the record: %v", proxy.dropCount(), hasLog(s, "copy", "retry 1"))
	}
}
