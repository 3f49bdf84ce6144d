package fault

import (
	"net"
	"sync"
	"time"
)

// Relay is a loopback TCP relay a drill connection goes through: it
// forwards bytes to the server unchanged until a fault tells it to reset
// every connection (Drop), stall them silently (Blackhole), or delay
// every chunk (SetLatency). Production code, used only by drills.
type Relay struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	dropTo  time.Time // until then, connections are reset on arrival
	holdTo  time.Time // until then, nothing is forwarded
	latency time.Duration
	closed  bool
	wg      sync.WaitGroup
	now     func() time.Time
}

// NewRelay listens on a free loopback port and forwards to target
// (host:port).
func NewRelay(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}, now: time.Now}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the relay's host:port.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Drop resets every open connection now and every new one for d: the
// network is gone, and the clients know it.
func (r *Relay) Drop(d time.Duration) {
	r.mu.Lock()
	r.dropTo = r.now().Add(d)
	var open []net.Conn
	for c := range r.conns {
		open = append(open, c)
	}
	r.mu.Unlock()
	for _, c := range open {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, not a polite close
		}
		_ = c.Close()
	}
}

// Blackhole stops forwarding for d, in both directions and for new
// connections too, without closing anything: nothing errors, everything
// waits.
func (r *Relay) Blackhole(d time.Duration) {
	r.mu.Lock()
	r.holdTo = r.now().Add(d)
	r.mu.Unlock()
}

// SetLatency delays every chunk forwarded, both ways, by d.
func (r *Relay) SetLatency(d time.Duration) {
	r.mu.Lock()
	r.latency = d
	r.mu.Unlock()
}

// Close stops the relay and closes every connection through it.
func (r *Relay) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
	err := r.ln.Close()
	r.wg.Wait()
	return err
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		r.mu.Lock()
		dropping := r.now().Before(r.dropTo)
		r.mu.Unlock()
		if dropping {
			if tc, ok := client.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = client.Close()
			continue
		}
		r.wg.Add(1)
		go r.connect(client)
	}
}

// connect dials the server for one client, after any blackhole is over.
func (r *Relay) connect(client net.Conn) {
	defer r.wg.Done()
	r.hold()
	server, err := net.DialTimeout("tcp", r.target, 10*time.Second)
	if err != nil {
		_ = client.Close()
		return
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		_ = client.Close()
		_ = server.Close()
		return
	}
	r.conns[client], r.conns[server] = struct{}{}, struct{}{}
	r.mu.Unlock()
	r.wg.Add(2)
	go r.pipe(server, client)
	go r.pipe(client, server)
}

// hold waits out a blackhole; it returns at once when there is none.
func (r *Relay) hold() {
	for {
		r.mu.Lock()
		wait := r.holdTo.Sub(r.now())
		closed := r.closed
		r.mu.Unlock()
		if wait <= 0 || closed {
			return
		}
		time.Sleep(min(wait, 50*time.Millisecond))
	}
}

// pipe copies src to dst, holding and delaying as the faults say, until
// either side closes; then both are closed.
func (r *Relay) pipe(dst, src net.Conn) {
	defer r.wg.Done()
	defer r.forget(dst, src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.hold()
			r.mu.Lock()
			delay := r.latency
			r.mu.Unlock()
			if delay > 0 {
				time.Sleep(delay)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *Relay) forget(conns ...net.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
		delete(r.conns, c)
	}
}

// Target is the server's host:port the relay forwards to.
func (r *Relay) Target() string { return r.target }
