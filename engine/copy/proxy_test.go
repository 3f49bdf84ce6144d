package copy_test

// A TCP proxy to put between a copy and a database server, so a test can
// drop every connection at a moment of its choosing: now, after a number
// of bytes more (in the middle of a batch), or for good.

import (
	"errors"
	"net"
	"sync"
	"testing"
)

// proxy forwards connections to a server. Cuts reset both sides.
type proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   map[net.Conn]struct{} // client and server sides
	armed   int64                 // cut once this many more bytes passed; 0: not armed
	cuts    int                   // cuts that closed at least one connection
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
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(server, client)
		go p.pipe(client, server)
	}
}

// pipe copies from src to dst until either side closes, counting bytes
// towards an armed cut; the cut lands exactly at the armed byte.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer p.forget(src, dst)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
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

// take counts n bytes against an armed cut: how many of them to forward,
// and whether to cut after them.
func (p *proxy) take(n int) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
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
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // a reset, as a dropped connection looks to its peer
		}
		c.Close()
	}
	clear(p.conns)
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
