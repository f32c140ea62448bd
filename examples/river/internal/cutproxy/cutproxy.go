// Package cutproxy is a TCP proxy for PostgreSQL that cuts connections
// between COMMIT and its answer, so that tests can see a committed write fail.
//
// A client that loses its connection after sending COMMIT cannot tell whether
// the transaction committed: the server may have committed it, and the client
// sees only an error. The proxy makes that happen on purpose. It reads the
// client's half of the wire protocol, and when armed it cuts every nth commit:
// it closes the client's connection, forwards the message that carries the
// COMMIT, reads the server's answer without relaying it, and only then closes
// the server's connection, so that the server has finished the commit before
// it sees the client go. It drops the cancel request that pgx sends for a
// connection it lost, which would otherwise reach the server through another
// connection and could stop the COMMIT.
//
// It relays plain TCP only: the client must not ask for TLS (sslmode=disable).
package cutproxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
)

// Protocol codes of the startup packets that carry no message type.
const (
	sslRequest    = 80877103
	gssEncRequest = 80877104
	cancelRequest = 80877102
)

// maxMessage bounds the length a message may claim, so that a garbled
// stream fails instead of allocating gigabytes.
const maxMessage = 1 << 30

// Proxy relays connections to one PostgreSQL server and cuts the commits
// it is told to cut.
type Proxy struct {
	ln       net.Listener
	upstream string
	network  string

	every   atomic.Int64 // cut every nth commit; 0 cuts none
	commits atomic.Int64 // the commits seen while armed
	cuts    atomic.Int64 // the cut commits that the server committed
	aborted atomic.Int64 // the cut commits that the server rolled back

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	// cutKeys are the cancel keys (BackendKeyData) of the connections
	// cut: a cancel request for one of them is dropped.
	cutKeys map[string]bool
	wg      sync.WaitGroup
}

// Listen starts a proxy on a free port of 127.0.0.1 that relays to the
// server at upstream ("host:port", or the path of a Unix socket). It relays
// everything until [Proxy.CutEvery] arms it.
func Listen(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cutproxy: listen: %w", err)
	}
	network := "tcp"
	if strings.HasPrefix(upstream, "/") {
		network = "unix"
	}
	p := &Proxy{ln: ln, upstream: upstream, network: network, conns: map[net.Conn]struct{}{}, cutKeys: map[string]bool{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Redirect starts a proxy for the server of cfg, as [Listen] does, and
// points cfg at the proxy, without TLS.
func Redirect(cfg *pgconn.Config) (*Proxy, error) {
	upstream := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		upstream = fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	p, err := Listen(upstream)
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port = "127.0.0.1", uint16(p.Addr().Port)
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() *net.TCPAddr { return p.ln.Addr().(*net.TCPAddr) }

// CutEvery arms the proxy: from now on it cuts every nth commit that
// passes through it, counting from one. Zero disarms it.
func (p *Proxy) CutEvery(n int) { p.every.Store(int64(n)) }

// Commits is the number of commits that passed through the proxy while it
// was armed, cut or not.
func (p *Proxy) Commits() int64 { return p.commits.Load() }

// Cuts is the number of commits the proxy cut and the server answered with
// COMMIT: transactions that committed while their client saw an error.
func (p *Proxy) Cuts() int64 { return p.cuts.Load() }

// Aborted is the number of commits the proxy cut that the server did not
// commit, because the transaction had already failed.
func (p *Proxy) Aborted() int64 { return p.aborted.Load() }

// Close stops listening, closes every connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial(p.network, p.upstream)
		if err != nil {
			client.Close()
			continue
		}
		if !p.track(client, server) {
			return
		}
		p.wg.Add(2)
		c := &conn{p: p, client: client, server: server, cut: make(chan struct{})}
		go c.relayClient()
		go c.relayServer()
	}
}

// track registers conns for Close; it closes them and reports false when
// the proxy is already closed.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		if p.closed {
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
	}
	return !p.closed
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

// conn is one client connection and the server connection it is relayed to.
type conn struct {
	p              *Proxy
	client, server net.Conn
	// cut is closed by relayClient before it forwards the commit it cuts:
	// from then on relayServer reads the server's answer and drops it.
	cut chan struct{}
	// key is the connection's cancel key, which relayServer reads from
	// the server's BackendKeyData; guarded by p.mu.
	key string
}

// relayClient forwards the client's messages to the server, watching for
// the ones that commit a transaction.
func (c *conn) relayClient() {
	defer c.p.wg.Done()
	defer c.p.untrack(c.client)
	r := bufio.NewReader(c.client)
	code, msg, err := readStartup(r)
	if err != nil {
		c.p.untrack(c.server)
		return
	}
	switch code {
	case sslRequest, gssEncRequest:
		// The server's one-byte answer is not a message relayServer can
		// read, and an encrypted stream could not be watched anyway.
		c.p.untrack(c.server)
		return
	}
	if code == cancelRequest {
		c.p.mu.Lock()
		drop := c.p.cutKeys[string(msg[8:])]
		c.p.mu.Unlock()
		if !drop {
			_, _ = c.server.Write(msg)
		}
		c.p.untrack(c.server)
		return
	}
	if _, err := c.server.Write(msg); err != nil {
		c.p.untrack(c.server)
		return
	}
	// The names of the prepared statements that commit: a client that
	// prepared COMMIT binds it by name afterwards, without its text.
	commits := map[string]bool{}
	pending := false // a COMMIT is bound and waits for its Sync
	for {
		typ, msg, err := readMessage(r)
		if err != nil {
			c.p.untrack(c.server)
			return
		}
		switch f := cstrings(msg[5:], 2); typ {
		case 'Q':
			pending = pending || isCommit(f[0])
		case 'P': // Parse: the statement's name, then its text
			commits[f[0]] = isCommit(f[1])
		case 'B': // Bind: the portal's name, then the statement's
			pending = pending || commits[f[1]]
		}
		if pending && (typ == 'Q' || typ == 'S') {
			pending = false
			if c.cutThis() {
				c.p.mu.Lock()
				c.p.cutKeys[c.key] = true
				c.p.mu.Unlock()
				close(c.cut)
				c.client.Close()
				// The server goes on: relayServer closes it once it has
				// answered the COMMIT.
				_, _ = c.server.Write(msg)
				return
			}
		}
		if _, err := c.server.Write(msg); err != nil {
			c.p.untrack(c.server)
			return
		}
	}
}

// cutThis counts a commit and reports whether to cut it.
func (c *conn) cutThis() bool {
	every := c.p.every.Load()
	return every > 0 && c.p.commits.Add(1)%every == 0
}

// relayServer forwards the server's messages to the client until a cut,
// then reads the answer to the cut COMMIT and closes the server's side.
func (c *conn) relayServer() {
	defer c.p.wg.Done()
	defer c.p.untrack(c.server)
	r := bufio.NewReader(c.server)
	var committed, answered bool
	for {
		typ, msg, err := readMessage(r)
		if err != nil {
			c.client.Close()
			return
		}
		if typ == 'K' {
			c.p.mu.Lock()
			c.key = string(msg[5:])
			c.p.mu.Unlock()
		}
		select {
		case <-c.cut:
			switch typ {
			case 'C':
				switch cstrings(msg[5:], 1)[0] {
				case "COMMIT":
					committed, answered = true, true
				case "ROLLBACK":
					answered = true
				}
			case 'E':
				// The transaction failed before its COMMIT ran, which the
				// server then skips.
				answered = true
			case 'Z':
				if answered {
					if committed {
						c.p.cuts.Add(1)
					} else {
						c.p.aborted.Add(1)
					}
					return
				}
			}
			continue
		default:
		}
		if _, err := c.client.Write(msg); err != nil {
			select {
			case <-c.cut:
				// relayClient closed the client between the read and the
				// write: the answer to the COMMIT is still to come.
			default:
				return
			}
		}
	}
}

// readStartup reads the client's first packet, which has a length and a
// protocol code but no message type.
func readStartup(r *bufio.Reader) (code uint32, msg []byte, err error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < 8 || n > maxMessage {
		return 0, nil, errors.New("cutproxy: bad startup packet")
	}
	msg = make([]byte, n)
	copy(msg, head[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint32(msg[4:8]), msg, nil
}

// readMessage reads one message of the protocol: its type, then its
// length, which counts itself and the body. msg holds all of it.
func readMessage(r *bufio.Reader) (typ byte, msg []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 4 || n > maxMessage {
		return 0, nil, errors.New("cutproxy: bad message length")
	}
	msg = make([]byte, 1+n)
	copy(msg, head[:])
	if _, err := io.ReadFull(r, msg[5:]); err != nil {
		return 0, nil, err
	}
	return head[0], msg, nil
}

// cstrings returns the first n NUL-terminated strings of b, empty ones
// for those b lacks.
func cstrings(b []byte, n int) []string {
	f := make([]string, n)
	for i := range f {
		end := bytes.IndexByte(b, 0)
		if end < 0 {
			f[i] = string(b)
			break
		}
		f[i], b = string(b[:end]), b[end+1:]
	}
	return f
}

// isCommit reports whether one of the statements of sql is a COMMIT.
func isCommit(sql string) bool {
	for stmt := range strings.SplitSeq(sql, ";") {
		switch strings.ToLower(strings.Join(strings.Fields(stmt), " ")) {
		case "commit", "commit transaction", "commit work", "end", "end transaction":
			return true
		}
	}
	return false
}
