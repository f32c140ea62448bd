package pgxstore_test

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// chaosProxy forwards TCP connections to a server and cuts each one, with
// a reset, after a random number of reads in either direction: during the
// start-up, with a query on its way to the server (forwarded or not), or
// with the answer on its way back, after the server committed.
type chaosProxy struct {
	ln       net.Listener
	upstream string
	// maxReads bounds the reads a connection lives for.
	maxReads int

	mu     sync.Mutex
	rng    *rand.Rand
	conns  map[net.Conn]struct{}
	cuts   int
	closed bool
	wg     sync.WaitGroup
}

// startChaosProxy listens on a loopback port and forwards to upstream
// until the test ends.
func startChaosProxy(t *testing.T, upstream string, seed uint64, maxReads int) *chaosProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &chaosProxy{
		ln: ln, upstream: upstream, maxReads: maxReads,
		rng: rand.New(rand.NewPCG(seed, 0)), conns: map[net.Conn]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *chaosProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track records the connections, or closes them when the proxy is closed,
// and reports whether it recorded them.
func (p *chaosProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *chaosProxy) forward(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		return
	}
	p.mu.Lock()
	budget := int64(1 + p.rng.IntN(p.maxReads))
	forwardLast := p.rng.IntN(2) == 0
	p.mu.Unlock()

	var reads atomic.Int64
	var once sync.Once
	closeBoth := func(cut bool) {
		once.Do(func() {
			p.mu.Lock()
			if cut {
				p.cuts++
			}
			delete(p.conns, client)
			delete(p.conns, server)
			p.mu.Unlock()
			for _, c := range []net.Conn{client, server} {
				if cut {
					_ = c.(*net.TCPConn).SetLinger(0) // a reset, not an orderly close
				}
				c.Close()
			}
		})
	}
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if reads.Add(1) > budget {
					if forwardLast {
						_, _ = dst.Write(buf[:n])
					}
					closeBoth(true)
					return
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					closeBoth(false)
					return
				}
			}
			if err != nil {
				closeBoth(false)
				return
			}
		}
	}
	p.wg.Add(2)
	go pipe(server, client)
	go pipe(client, server)
}

// Cuts returns how many connections the proxy has cut.
func (p *chaosProxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

// Close stops the proxy, closes its connections and waits for its
// goroutines.
func (p *chaosProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.ln.Close()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// svixRetryDelays is how long Svix waits before each retry of a failed
// delivery; after the last, it gives up.
var svixRetryDelays = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// retryAttempt is one sending of a delivery, due at a simulated time.
type retryAttempt struct {
	due      time.Time
	seq      int
	delivery int
	retries  int
}

type retryQueue []retryAttempt

func (q retryQueue) Len() int { return len(q) }
func (q retryQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q retryQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *retryQueue) Push(x any)   { *q = append(*q, x.(retryAttempt)) }
func (q *retryQueue) Pop() any {
	old := *q
	a := old[len(old)-1]
	*q = old[:len(old)-1]
	return a
}

// TestHandlerSurvivesDroppedConnections sends a shuffled history with
// duplicates through a Handler whose Store reaches PostgreSQL through a
// proxy that drops every connection at a random moment. Deliveries not
// answered 2xx are sent again on Svix's schedule, on a simulated clock whose
// moves age the claims in the ledger, interleaved with the others. No delivery
// may run out of retries, and the tables must end in the history's state.
// With a change hook, which logs the changes in the write's transaction,
// the log must also hold each change once, although some connections were
// cut after a COMMIT and before its answer, and the delivery retried.
func TestHandlerSurvivesDroppedConnections(t *testing.T) {
	t.Run("without_hooks", func(t *testing.T) { handlerSurvivesDroppedConnections(t, false) })
	t.Run("with_a_change_hook", func(t *testing.T) { handlerSurvivesDroppedConnections(t, true) })
}

func handlerSurvivesDroppedConnections(t *testing.T, hooked bool) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 1))
	secret := clerkhooktest.NewSecret()
	hist := newHistory(t, r, secret, 150, 0.1)
	signed := time.Now() // within seconds of the time the history was signed at

	direct := pgtest.Connect(t, nil)
	f := newFixtureOn(t, direct)
	upstream := direct.Config().ConnConfig
	proxy := startChaosProxy(t, net.JoinHostPort(upstream.Host, strconv.Itoa(int(upstream.Port))), r.Uint64(), 80)
	cfg := direct.Config().Copy()
	cfg.ConnConfig.Host = "127.0.0.1"
	cfg.ConnConfig.Port = uint16(proxy.ln.Addr().(*net.TCPAddr).Port)
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	defer pool.Close()

	clock := newFakeClock()
	opts := []pgxstore.Option{pgxstore.WithSchema(f.schema)}
	var log *changeLog
	if hooked {
		log = newChangeLog(t, f)
		opts = append(opts, pgxstore.WithChangeHook(log.hook))
	}
	store := pgxstore.New(pool, opts...)
	h, err := clerkhook.NewHandler(secret, store,
		clerkhook.WithClock(func() time.Time { return signed }),
		clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		clerkhook.WithTimeout(5*time.Second))
	require.NoError(t, err)

	var queue retryQueue
	scheduled := 0
	schedule := func(d int, due time.Time, retries int) {
		scheduled++
		heap.Push(&queue, retryAttempt{due: due, seq: scheduled, delivery: d, retries: retries})
	}
	for i := range hist.deliveries {
		schedule(i, clock.Now().Add(time.Duration(r.Int64N(int64(10*time.Minute)))), 0)
	}
	statuses := map[int]int{}
	for queue.Len() > 0 {
		a := heap.Pop(&queue).(retryAttempt)
		// The database dates claims: a claim left by a cut connection
		// lapses as the simulated time passes.
		f.ageLedger(t, a.due.Sub(clock.Now()))
		clock.Advance(a.due.Sub(clock.Now()))
		d := hist.deliveries[a.delivery]
		req := httptest.NewRequest(http.MethodPost, "/webhooks/clerk", bytes.NewReader(d.body))
		for k, v := range d.header {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		statuses[w.Code]++
		if w.Code == http.StatusOK {
			continue
		}
		require.Contains(t, []int{http.StatusConflict, http.StatusInternalServerError, http.StatusServiceUnavailable}, w.Code)
		require.Less(t, a.retries, len(svixRetryDelays), "a %s delivery ran out of retries", d.eventType)
		schedule(a.delivery, a.due.Add(svixRetryDelays[a.retries]), a.retries+1)
	}
	proxy.Close()
	t.Logf("%d deliveries, statuses %v, %d connections cut", len(hist.deliveries), statuses, proxy.Cuts())
	require.NotZero(t, proxy.Cuts())
	require.NotZero(t, statuses[http.StatusInternalServerError], "the faults reached the Handler")

	assertTablesMatch(t, f, hist)
	if hooked {
		log.assertDelivers(t, hist)
	}
}

// assertTablesMatch checks that the fixture's tables hold the state hist
// leads to, record for record, and that the ledger holds every delivery.
func assertTablesMatch(t *testing.T, f *fixture, hist *history) {
	t.Helper()
	wantUsers, wantOrgs, wantMembers := map[string]any{}, map[string]any{}, map[string]any{}
	for id, v := range hist.users {
		if v != 0 {
			wantUsers[id] = testUser(id, v)
		}
	}
	for id, v := range hist.orgs {
		if v != 0 {
			wantOrgs[id] = testOrganization(id, v)
		}
	}
	for key, v := range hist.memberships {
		if v != 0 {
			wantMembers[key[0]+" "+key[1]] = testMembership(key[0], key[1], v)
		}
	}
	assertLiveRows(t, f, "clerk_users", "t.id", wantUsers)
	assertLiveRows(t, f, "clerk_organizations", "t.id", wantOrgs)
	assertLiveRows(t, f, "clerk_organization_memberships", "t.organization_id || ' ' || t.user_id", wantMembers)
	assert.Equal(t, len(hist.users), count(t, f, "clerk_users", "true"), "a row or a tombstone per user")
	assert.Equal(t, len(hist.orgs), count(t, f, "clerk_organizations", "true"), "a row or a tombstone per organization")

	ledger := map[string]bool{}
	for _, id := range column(t, f, `SELECT id FROM `+f.table("clerk_webhook_deliveries")) {
		ledger[id] = true
	}
	missing := 0
	for _, d := range hist.deliveries {
		if !ledger[d.id] {
			missing++
		}
	}
	assert.Zero(t, missing, "deliveries the ledger does not hold")
}

// assertLiveRows checks that the rows of table not deleted are exactly
// want, by the value of the key expression over the row t, with the same
// data. PostgreSQL compares the data, as jsonb, so that large tables are
// checked in one query.
func assertLiveRows(t *testing.T, f *fixture, table, key string, want map[string]any) {
	t.Helper()
	keys, data := make([]string, 0, len(want)), make([]string, 0, len(want))
	for k, w := range want {
		b, err := json.Marshal(w)
		require.NoError(t, err)
		keys, data = append(keys, k), append(data, string(b))
	}
	wanted := `unnest($1::text[], $2::jsonb[]) AS w(k, data)`
	var live, same int
	err := f.pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM `+f.table(table)+` WHERE deleted_at IS NULL),
		(SELECT count(*) FROM `+wanted+` JOIN `+f.table(table)+` t
			ON `+key+` = w.k AND t.deleted_at IS NULL AND t.data = w.data)`, keys, data).Scan(&live, &same)
	require.NoError(t, err)
	assert.Equal(t, len(want), live, "live rows of %s", table)
	if !assert.Equal(t, len(want), same, "rows of %s in the expected state", table) {
		wrong := column(t, f, `SELECT w.k FROM `+wanted+` LEFT JOIN `+f.table(table)+` t
			ON `+key+` = w.k AND t.deleted_at IS NULL WHERE t.data IS DISTINCT FROM w.data LIMIT 5`, keys, data)
		t.Errorf("for example %v", wrong)
	}
}

// column returns the text values of the first column of query's rows.
func column(t *testing.T, f *fixture, query string, args ...any) []string {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), query, args...)
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var v string
		require.NoError(t, rows.Scan(&v))
		out = append(out, v)
	}
	require.NoError(t, rows.Err())
	return out
}
