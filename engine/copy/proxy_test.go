package copy_test

// A TCP proxy to put between a copy and a database server, so a test can
// drop every connection at a moment of its choosing: now, after a number
// of bytes more (in the middle of a batch), or for good.

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// proxy forwards connections to a server. Cuts reset both sides.
type proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   map[net.Conn]struct{} // client and server sides
	armed   int64                 // cut once this many more bytes passed; 0: not armed
	commit  commitCut             // cut at the next COMMIT a client sends
	holding bool                  // replies are swallowed until the next cut
	commits []string              // the chunks that triggered cuts at COMMIT
	query   []byte                // cut when a client sends this (lower case); nil: not armed
	down    time.Duration         // how long the network stays down after that cut
	until   time.Time             // connections made before this are dropped at once
	cuts    int                   // cuts that closed at least one connection
	rate    int64                 // bytes a second each connection carries to the server; 0: no limit
	stopped bool
	wg      sync.WaitGroup
}

// startProxy listens on a free local port and forwards to target
// (host:port). It is closed when the test ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// addr is the proxy's host:port.
func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.stopped {
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		if time.Now().Before(p.until) { // the network is down
			p.mu.Unlock()
			resetConn(client)
			server.Close()
			continue
		}
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(server, client, true)
		go p.pipe(client, server, false)
	}
}

// pipe copies from src to dst until either side closes, counting bytes
// towards an armed cut; the cut lands exactly at the armed byte.
func (p *proxy) pipe(dst, src net.Conn, toServer bool) {
	defer p.wg.Done()
	defer p.forget(src, dst)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if toServer {
			p.slow(n)
		}
		if n > 0 && (p.atCommit(dst, buf[:n], toServer) || p.atQuery(buf[:n], toServer)) {
			return
		}
		if n > 0 {
			chunk, cut := p.take(n)
			if _, werr := dst.Write(buf[:chunk]); werr != nil {
				return
			}
			if cut {
				p.cutAll()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forget closes a pair of connections and drops them from the cut list.
func (p *proxy) forget(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

// commitCut is where a cut at COMMIT lands.
type commitCut int

const (
	noCommitCut     commitCut = iota
	beforeCommit              // the server never sees the COMMIT: the batch is not in
	afterCommitSent           // the server commits, the client never hears: the batch is in
)

// cutAtCommit arms a cut at the next COMMIT a client sends.
func (p *proxy) cutAtCommit(where commitCut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.commit = where
}

// atCommit handles an armed cut at COMMIT for one chunk; it reports
// whether the connections were cut. Replies are swallowed from the moment
// a COMMIT is forwarded until the cut, so the client cannot learn that it
// landed.
func (p *proxy) atCommit(dst net.Conn, chunk []byte, toServer bool) bool {
	p.mu.Lock()
	where := p.commit
	hit := where != noCommitCut && toServer && bytes.Contains(bytes.ToLower(chunk), []byte("commit"))
	if hit {
		p.commit = noCommitCut
		p.holding = where == afterCommitSent
		p.commits = append(p.commits, string(chunk))
	}
	p.mu.Unlock()
	switch {
	case !hit:
		return false
	case where == afterCommitSent:
		dst.Write(chunk)
		time.Sleep(100 * time.Millisecond) // let the server commit
	}
	p.cutAll()
	return true
}

// cutAtQuery arms a cut of every connection when a client next sends a
// message containing text (case-insensitive), before the server sees it;
// the network then stays down for down: connections made meanwhile are
// reset at once.
func (p *proxy) cutAtQuery(text string, down time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.query, p.down = bytes.ToLower([]byte(text)), down
}

// atQuery handles an armed cut at a query for one chunk; it reports
// whether the connections were cut.
func (p *proxy) atQuery(chunk []byte, toServer bool) bool {
	p.mu.Lock()
	hit := p.query != nil && toServer && bytes.Contains(bytes.ToLower(chunk), p.query)
	if hit {
		p.query = nil
		p.until = time.Now().Add(p.down)
	}
	p.mu.Unlock()
	if hit {
		p.cutAll()
	}
	return hit
}

// take counts n bytes against an armed cut: how many of them to forward,
// and whether to cut after them.
func (p *proxy) take(n int) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.holding {
		return 0, false
	}
	if p.armed == 0 {
		return n, false
	}
	if int64(n) < p.armed {
		p.armed -= int64(n)
		return n, false
	}
	chunk := int(p.armed)
	p.armed = 0
	return chunk, true
}

// cutAfter arms a cut of every connection once n more bytes (n >= 1) have
// passed in either direction.
func (p *proxy) cutAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = max(n, 1)
}

// cutAll resets every open connection now; new ones are still accepted.
func (p *proxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.conns) > 0 {
		p.cuts++
	}
	for c := range p.conns {
		resetConn(c)
	}
	clear(p.conns)
	p.holding = false
}

// resetConn closes c with a reset, as a dropped connection looks to its peer.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// cutCount is how many cuts closed connections.
func (p *proxy) cutCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// close stops accepting (the port then refuses connections) and cuts
// every connection: the server is unreachable for good.
func (p *proxy) close() {
	p.mu.Lock()
	already := p.stopped
	p.stopped = true
	p.mu.Unlock()
	if already {
		return
	}
	if err := p.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		panic(err)
	}
	p.cutAll()
	p.wg.Wait()
}
