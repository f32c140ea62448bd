package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
)

// recordingMailer keeps the mails it is asked to send, by user id.
type recordingMailer struct {
	mu   sync.Mutex
	sent map[string][]Welcome
}

func newRecordingMailer() *recordingMailer {
	return &recordingMailer{sent: map[string][]Welcome{}}
}

// SendWelcome implements [Mailer].
func (m *recordingMailer) SendWelcome(_ context.Context, w Welcome) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent[w.UserID] = append(m.sent[w.UserID], w)
	return nil
}

// mails returns a copy of the mails sent so far.
func (m *recordingMailer) mails() map[string][]Welcome {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]Welcome, len(m.sent))
	for id, ws := range m.sent {
		out[id] = append([]Welcome(nil), ws...)
	}
	return out
}

// testLogger writes the warnings and errors of the code under test to the
// test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testReplica is a replica of the service on fresh schemas, its jobs not
// started, and the schemas it uses.
type testReplica struct {
	*replica
	pool        *pgxpool.Pool
	riverSchema string
}

// newTestReplica migrates fresh schemas and returns a replica on them.
func newTestReplica(t *testing.T, secret string, mailer Mailer) *testReplica {
	t.Helper()
	pool := pgtest.Connect(t, nil)
	schema, riverSchema := pgtest.FreshSchema(t, pool), pgtest.FreshPlainSchema(t, pool)
	r, err := newReplica(config{
		pool: pool, riverPool: pool, schema: schema, riverSchema: riverSchema,
		secret: secret, mailer: mailer, logger: testLogger(t), fetchInterval: 20 * time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, migrate(t.Context(), pool, r.store, riverSchema, testLogger(t)))
	return &testReplica{replica: r, pool: pool, riverSchema: riverSchema}
}

// startJobs starts the replica's River client, stopped when the test ends.
func startJobs(t *testing.T, r *replica) {
	t.Helper()
	require.NoError(t, r.jobs.Start(context.WithoutCancel(t.Context())))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, r.jobs.Stop(ctx), "stop River")
	})
}

// deliver serves evt to h once and returns the status of the answer.
func deliver(t *testing.T, ctx context.Context, h http.Handler, secret string, evt *clerkhook.Event) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt).WithContext(ctx))
	return rec.Code
}

// mustDeliver serves evt to h and requires a 2xx answer.
func mustDeliver(t *testing.T, h http.Handler, secret string, evt *clerkhook.Event) {
	t.Helper()
	code := deliver(t, t.Context(), h, secret, evt)
	require.True(t, code/100 == 2, "%s answered %d", evt.Type, code)
}

// welcomeJob is a row of river_job, as the tests check it.
type welcomeJob struct {
	userID  string
	state   string
	attempt int
}

// welcomeJobs returns the welcome jobs of River's schema, by user id.
func welcomeJobs(t *testing.T, pool *pgxpool.Pool, riverSchema string) map[string][]welcomeJob {
	t.Helper()
	rows, err := pool.Query(t.Context(), fmt.Sprintf(
		`SELECT args->>'user_id', state, attempt FROM %s WHERE kind = $1 ORDER BY id`,
		pgx.Identifier{riverSchema, "river_job"}.Sanitize()), WelcomeEmailArgs{}.Kind())
	require.NoError(t, err)
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (welcomeJob, error) {
		var j welcomeJob
		return j, row.Scan(&j.userID, &j.state, &j.attempt)
	})
	require.NoError(t, err)
	byUser := map[string][]welcomeJob{}
	for _, j := range jobs {
		byUser[j.userID] = append(byUser[j.userID], j)
	}
	return byUser
}

// waitJobsDone waits until every welcome job has finished, completed or not.
func waitJobsDone(t *testing.T, pool *pgxpool.Pool, riverSchema string, within time.Duration) {
	t.Helper()
	query := fmt.Sprintf(`SELECT count(*) FROM %s WHERE kind = $1 AND finalized_at IS NULL`,
		pgx.Identifier{riverSchema, "river_job"}.Sanitize())
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var pending int
		assert.NoError(c, pool.QueryRow(t.Context(), query, WelcomeEmailArgs{}.Kind()).Scan(&pending))
		assert.Zero(c, pending, "welcome jobs pending")
	}, within, 10*time.Millisecond)
}
