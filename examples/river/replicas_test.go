package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/examples/river/internal/cutproxy"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// The shape of TestWelcomeOncePerUser's history.
const (
	replicaCount   = 4
	userCount      = 60
	senders        = 16 // deliveries in flight at once
	cutEvery       = 2  // the proxied replica's commits cut
	maxAttempts    = 50 // per delivery; Svix gives up much later
	deliverWithin  = 30 * time.Second
	jobsDoneWithin = 15 * time.Second
)

// fate is what becomes of a user in the history.
type fate int

const (
	live         fate = iota // signs up and stays
	deletedFirst             // user.deleted is stored before any version
	deletedLater             // deleted after a version was stored
)

func (f fate) String() string {
	return [...]string{"live", "deleted first", "deleted later"}[f]
}

// historyUser is a user of the history and the events Clerk sends about
// them, each with the phase it is delivered in.
type historyUser struct {
	id     string
	fate   fate
	emails []string // the addresses of its versions
	events []phasedEvent
}

type phasedEvent struct {
	evt   *clerkhook.Event
	phase int
}

// phases is the number of rounds of delivery: a round ends when every
// delivery of it has been answered 2xx, which orders a deletedFirst user's
// deletion before its versions and a deletedLater user's after one.
const phases = 3

// newHistory returns the users, each created, updated one to three times
// (the second update changes the address), and deleted as its fate says.
func newHistory(t *testing.T, rng *rand.Rand) []*historyUser {
	t.Helper()
	users := make([]*historyUser, userCount)
	for i := range users {
		hu := &historyUser{fate: fate(i % 3)}
		var base clerkhook.User
		created, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { base = *u })
		require.NoError(t, err)
		hu.id = base.ID
		hu.emails = []string{base.PrimaryEmail()}
		versions := []*clerkhook.Event{created}
		email := base.EmailAddresses[0]
		for k := range 1 + rng.IntN(3) {
			if k == 1 {
				email.ID = "idn_" + base.ID[len("user_"):] + "2"
				email.EmailAddress = fmt.Sprintf("ada.%d.%s@example.com", k, base.ID[len("user_"):])
				hu.emails = append(hu.emails, email.EmailAddress)
			}
			updated, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
				u.ID, u.CreatedAt, u.UpdatedAt = base.ID, base.CreatedAt, base.UpdatedAt+clerkhook.UnixMilli(k+1)
				u.EmailAddresses = []clerkhook.EmailAddress{email}
				u.PrimaryEmailAddressID = &email.ID
			})
			require.NoError(t, err)
			versions = append(versions, updated)
		}
		deleted, err := clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = base.ID })
		require.NoError(t, err)
		for _, v := range versions {
			phase := rng.IntN(phases)
			switch hu.fate {
			case deletedFirst:
				phase = 1 + rng.IntN(phases-1)
			case deletedLater:
				phase = rng.IntN(phases - 1)
			}
			hu.events = append(hu.events, phasedEvent{v, phase})
		}
		switch hu.fate {
		case deletedFirst:
			hu.events = append(hu.events, phasedEvent{deleted, 0})
		case deletedLater:
			hu.events = append(hu.events, phasedEvent{deleted, phases - 1})
		}
		users[i] = hu
	}
	return users
}

// senderStats counts what the senders did.
type senderStats struct {
	copies, attempts atomic.Int64
	mu               sync.Mutex
	failures         map[int]int // non-2xx answers by status
	// proxied has the status of each attempt on the proxied replica, by
	// the attempt's number, which its request's context carries.
	proxied map[int64]int
	attempt atomic.Int64 // the last attempt's number
}

// attemptKey is the context key of an attempt's number.
type attemptKey struct{}

// TestWelcomeOncePerUser runs four replicas of the service, each its own
// pool, store, Handler and River client, on one database, and delivers a
// history of users to them as Svix would at its worst: shuffled,
// duplicated, concurrently, to any replica, retrying every non-2xx answer;
// and one replica's connection to PostgreSQL is cut between COMMIT and its
// answer, so that its writes commit while it answers 5xx and the delivery
// is retried. Every user who signed up and was not deleted first gets one
// welcome job, which runs once; the others get none.
func TestWelcomeOncePerUser(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	admin := pgtest.Connect(t, nil)
	schema, riverSchema := pgtest.FreshSchema(t, admin), pgtest.FreshPlainSchema(t, admin)
	secret := clerkhooktest.NewSecret()
	mailer := newRecordingMailer()
	logger := testLogger(t)

	// The proxied replica's store also records, in its transaction, each
	// user it creates and the attempt that created it: a row there whose
	// attempt was answered 5xx is a user and a job that committed while
	// the replica answered 5xx.
	probe := pgx.Identifier{schema, "created_by_proxied"}.Sanitize()
	probeHook := pgxstore.WithChangeHook(func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
		if c.Kind != pgxstore.ChangeCreated || c.Object != pgxstore.ObjectUser || c.DeliveryID == "" {
			return nil
		}
		attempt, _ := ctx.Value(attemptKey{}).(int64)
		_, err := tx.Exec(ctx, `INSERT INTO `+probe+` (attempt, user_id) VALUES ($1, $2)`, attempt, c.UserID)
		return err
	})

	var proxy *cutproxy.Proxy
	replicas := make([]*replica, replicaCount)
	pools := make([]*pgxpool.Pool, replicaCount)
	for i := range replicas {
		pools[i] = pgtest.Connect(t, func(cfg *pgxpool.Config) {
			cfg.MaxConns = 4
			if i == 0 {
				var err error
				proxy, err = cutproxy.Redirect(&cfg.ConnConfig.Config)
				require.NoError(t, err)
				t.Cleanup(func() { assert.NoError(t, proxy.Close()) })
			}
		})
		riverPool, storeOptions := pools[i], []pgxstore.Option(nil)
		if i == 0 {
			storeOptions = append(storeOptions, probeHook)
			// River's own commits go around the proxy: its completion of
			// a job, cut, would run the job again, which is River's
			// at-least-once and not what this test is about.
			riverPool = pgtest.Connect(t, func(cfg *pgxpool.Config) { cfg.MaxConns = 4 })
		}
		r, err := newReplica(config{
			pool: pools[i], riverPool: riverPool, schema: schema, riverSchema: riverSchema,
			storeOptions: storeOptions, secret: secret, mailer: mailer, logger: logger, fetchInterval: 20 * time.Millisecond,
		})
		require.NoError(t, err)
		replicas[i] = r
	}
	// The replicas start together, and so migrate together.
	errs := make([]error, replicaCount)
	var wg sync.WaitGroup
	for i, r := range replicas {
		wg.Go(func() { errs[i] = migrate(t.Context(), pools[i], r.store, riverSchema, logger) })
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "migrate")
	_, err := admin.Exec(t.Context(), `CREATE TABLE `+probe+` (attempt bigint NOT NULL, user_id text NOT NULL)`)
	require.NoError(t, err)
	for _, r := range replicas {
		startJobs(t, r)
	}
	proxy.CutEvery(cutEvery)

	users := newHistory(t, rng)
	ctx, cancel := context.WithTimeout(t.Context(), deliverWithin)
	defer cancel()
	stats := &senderStats{failures: map[int]int{}, proxied: map[int64]int{}}
	deliveries := 0
	started := time.Now()
	for phase := range phases {
		var copies []*clerkhook.Event
		for _, hu := range users {
			for _, pe := range hu.events {
				if pe.phase != phase {
					continue
				}
				deliveries++
				copies = append(copies, pe.evt)
				if rng.IntN(2) == 0 {
					// The same delivery again, svix-id and all, at once.
					copies = append(copies, pe.evt)
				}
			}
		}
		rng.Shuffle(len(copies), func(i, j int) { copies[i], copies[j] = copies[j], copies[i] })
		sendAll(t, ctx, replicas, secret, copies, stats, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
		require.NoError(t, ctx.Err(), "phase %d not delivered within %s", phase, deliverWithin)
	}
	t.Logf("%d users, %d deliveries, %d copies, %d attempts in %s; non-2xx answers by status %v",
		len(users), deliveries, stats.copies.Load(), stats.attempts.Load(), time.Since(started).Round(time.Millisecond), stats.failures)

	// Every delivery has been answered 2xx, so every job is inserted.
	jobs := welcomeJobs(t, admin, riverSchema)
	var wrong []string
	for _, hu := range users {
		want := 1
		if hu.fate == deletedFirst {
			want = 0
		}
		if got := len(jobs[hu.id]); got != want {
			wrong = append(wrong, fmt.Sprintf("%s user %s: %d jobs, want %d", hu.fate, hu.id, got, want))
		}
	}
	require.Empty(t, wrong, "welcome jobs: one for each user not deleted first, none for the others")
	require.Len(t, jobs, userCount-userCount/3, "welcome jobs of users outside the history")

	waitJobsDone(t, admin, riverSchema, jobsDoneWithin)
	jobs = welcomeJobs(t, admin, riverSchema)
	mails := mailer.mails()
	sentToDeleted := 0
	for _, hu := range users {
		for _, j := range jobs[hu.id] {
			assert.Equal(t, "completed", j.state, "%s user %s: job state", hu.fate, hu.id)
			assert.Equal(t, 1, j.attempt, "%s user %s: the job ran once", hu.fate, hu.id)
		}
		sent := mails[hu.id]
		for _, m := range sent {
			assert.Contains(t, hu.emails, m.To, "%s user %s: the mail went to one of the user's addresses", hu.fate, hu.id)
		}
		_, err := replicas[0].store.User(t.Context(), hu.id)
		switch hu.fate {
		case live:
			assert.NoError(t, err, "live user %s", hu.id)
			assert.Len(t, sent, 1, "live user %s: mails", hu.id)
		case deletedFirst:
			assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "user %s deleted first", hu.id)
			assert.Empty(t, sent, "user %s deleted first: mails", hu.id)
		case deletedLater:
			assert.ErrorIs(t, err, clerkhook.ErrUserNotFound, "user %s deleted later", hu.id)
			// The worker sends the mail if it ran before the deletion was
			// stored, and skips it if after.
			assert.LessOrEqual(t, len(sent), 1, "user %s deleted later: mails", hu.id)
			sentToDeleted += len(sent)
		}
	}
	assert.Positive(t, proxy.Cuts(), "the proxy cut no committed transaction (%d commits through it)", proxy.Commits())
	rows, err := admin.Query(t.Context(), `SELECT attempt FROM `+probe)
	require.NoError(t, err)
	created, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	cutJobs := 0
	for _, attempt := range created {
		code, ok := stats.proxied[attempt]
		require.True(t, ok, "attempt %d: no answer recorded", attempt)
		if code/100 != 2 {
			cutJobs++
		}
	}
	assert.Positive(t, cutJobs, "no user created by the proxied replica (%d) committed with a 5xx answer", len(created))

	t.Logf("proxy: %d commits, %d cut after committing, %d cut and rolled back; %d users created by the proxied replica, %d of them with their job in a cut transaction",
		proxy.Commits(), proxy.Cuts(), proxy.Aborted(), len(created), cutJobs)
	t.Logf("%d welcome jobs, each completed at its first attempt; %d mails, %d of them to users deleted after their job ran",
		len(jobs), countMails(mails), sentToDeleted)
}

// sendAll delivers copies, senders at a time, each to random replicas
// until one answers 2xx.
func sendAll(t *testing.T, ctx context.Context, replicas []*replica, secret string, copies []*clerkhook.Event, stats *senderStats, rng *rand.Rand) {
	t.Helper()
	// Each copy's replicas are drawn up front: rand.Rand is not safe for
	// concurrent use. Three first attempts in four go to the proxied
	// replica, replicas[0], so that it creates users in enough
	// transactions (the group commit puts several in one) for some of
	// them to be cut whatever the draw.
	targets := make([][]int, len(copies))
	for i := range targets {
		targets[i] = make([]int, maxAttempts)
		for a := range targets[i] {
			targets[i][a] = rng.IntN(len(replicas))
		}
		if rng.IntN(4) != 0 {
			targets[i][0] = 0
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for i := range next {
				stats.copies.Add(1)
				for a := 0; ; a++ {
					if a == maxAttempts || ctx.Err() != nil {
						assert.Fail(t, "not delivered", "%s %s: no 2xx answer in %d attempts", copies[i].Type, copies[i].ID, a)
						break
					}
					stats.attempts.Add(1)
					attempt, target := stats.attempt.Add(1), targets[i][a]
					code := deliver(t, context.WithValue(ctx, attemptKey{}, attempt), replicas[target].handler, secret, copies[i])
					stats.mu.Lock()
					if code/100 != 2 {
						stats.failures[code]++
					}
					if target == 0 {
						stats.proxied[attempt] = code
					}
					stats.mu.Unlock()
					if code/100 == 2 {
						break
					}
				}
			}
		})
	}
	for i := range copies {
		next <- i
	}
	close(next)
	wg.Wait()
}

func countMails(mails map[string][]Welcome) int {
	n := 0
	for _, ws := range mails {
		n += len(ws)
	}
	return n
}
