package engine

// A TCP proxy that forwards to a database server until it is told to
// black-hole: from then on every connection, old or new, stays open and
// carries nothing either way — a network partition as a client sees it.

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

type blackHole struct {
	ln     net.Listener
	target string // "" black-holes from the start
	holed  atomic.Bool
	gen    atomic.Int64 // connections of an older generation stay silent for good
	budget atomic.Int64 // > 0: bytes clients may still send before the hole opens
	mu     sync.Mutex
	conns  []net.Conn
}

// startBlackHole listens on a free port, forwarding to target; it is
// closed when the test ends.
func startBlackHole(t *testing.T, target string) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln, target: target}
	b.holed.Store(target == "")
	go b.accept()
	t.Cleanup(b.close)
	return b
}

func (b *blackHole) addr() string { return b.ln.Addr().String() }

// hole stops every byte from now on.
func (b *blackHole) hole() { b.holed.Store(true) }

// holeAfter opens the hole once clients sent n more bytes.
func (b *blackHole) holeAfter(n int64) { b.budget.Store(n) }

// heal lets new connections through again; those open during the
// partition stay silent, as they would after a real one.
func (b *blackHole) heal() {
	b.gen.Add(1)
	b.holed.Store(false)
}

func (b *blackHole) keep(c net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conns = append(b.conns, c)
}

func (b *blackHole) accept() {
	for {
		client, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.keep(client)
		if b.holed.Load() {
			go b.pipe(nil, client, -1) // read and drop
			continue
		}
		server, err := net.Dial("tcp", b.target)
		if err != nil {
			client.Close()
			continue
		}
		b.keep(server)
		gen := b.gen.Load()
		go b.pipe(server, client, gen) // client → server: counts towards the budget
		go b.pipe(client, server, gen)
	}
}

// pipe forwards src to dst until the hole opens, then drops what comes.
func (b *blackHole) pipe(dst, src net.Conn, gen int64) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && dst != nil && src != nil && b.budget.Load() > 0 && b.isClient(src) && b.budget.Add(-int64(n)) <= 0 {
			b.hole()
		}
		if n > 0 && dst != nil && !b.holed.Load() && b.gen.Load() == gen {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// isClient tells a connection accepted from a client.
func (b *blackHole) isClient(c net.Conn) bool { return c.LocalAddr().String() == b.addr() }

func (b *blackHole) close() {
	b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
}
