package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/internal/pgtest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

func TestParseConfig(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	withSecret := env(map[string]string{"CLERK_WEBHOOK_SIGNING_SECRET": secret})
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		want    config
		wantErr string
	}{
		{"defaults", nil, withSecret,
			config{databaseURL: defaultDatabaseURL, schema: "public", addr: ":8080", secret: secret}, ""},
		{"flags", []string{"-database-url", "postgres://app@db/app", "-schema", "app", "-addr", "127.0.0.1:9000"}, withSecret,
			config{databaseURL: "postgres://app@db/app", schema: "app", addr: "127.0.0.1:9000", secret: secret}, ""},
		{"no secret", nil, env(nil), config{}, "set CLERK_WEBHOOK_SIGNING_SECRET"},
		{"an argument", []string{"serve"}, withSecret, config{}, `unexpected argument "serve"`},
		{"an unknown flag", []string{"-port", "80"}, withSecret, config{}, "flag provided but not defined: -port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, tt.getenv, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := parseConfig([]string{"-h"}, withSecret, io.Discard)
	assert.ErrorIs(t, err, flag.ErrHelp)
}

// TestServe runs the program as main does, on a listener of its own, and
// follows one user through its life: the app's own column and data survive
// Clerk's updates, a retry and an older update change nothing, and the
// deletion takes the app user and its projects, for good.
func TestServe(t *testing.T) {
	pool := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, pool)
	d := db{t: t, pool: pool, schema: schema}
	url := os.Getenv("CLERKHOOK_TEST_DATABASE_URL")
	if url == "" {
		url = pgtest.DefaultURL
	}
	secret := clerkhooktest.NewSecret()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, ln, config{databaseURL: url, schema: schema, secret: secret}, quiet())
	}()
	// Requests wait in the listener's backlog while serve migrates.
	endpoint := "http://" + ln.Addr().String() + "/webhooks/clerk"
	client := &http.Client{Timeout: time.Minute}
	t.Cleanup(client.CloseIdleConnections)
	sign := newSigner(t, secret)
	send := func(dl delivery, wantBody string) {
		t.Helper()
		status, body, err := post(ctx, client, endpoint, dl)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, dl.eventType)
		require.Equal(t, wantBody, body, dl.eventType)
	}

	p := person{id: "user_own_serve"}
	created := sign.upsert(p.version(1), 1)
	send(created, "processed")
	u := d.appUser(p.id)
	email, name := p.want(1)
	assert.Equal(t, appUser{id: u.id, email: email, displayName: name, plan: "free"}, u)

	// The app upgrades the user and the user makes a project.
	d.exec(`UPDATE {app_users} SET plan = 'pro' WHERE id = $1`, u.id)
	d.exec(`INSERT INTO {projects} (owner_id, name) VALUES ($1, 'first')`, u.id)

	updated := sign.upsert(p.version(3), 3)
	send(updated, "processed")
	send(updated, "duplicate")
	send(created, "duplicate")
	send(sign.upsert(p.version(2), 2), "stale") // older than version 3
	email, name = p.want(3)
	assert.Equal(t, appUser{id: u.id, email: email, displayName: name, plan: "pro"}, d.appUser(p.id),
		"the same app user, with Clerk's newest email and name, and the app's plan")
	assert.Equal(t, 1, d.count(`SELECT count(*) FROM {projects} WHERE owner_id = $1`, u.id))
	assert.Zero(t, d.disagreements())

	send(sign.deletion(p.id, at(4)), "processed")
	send(sign.upsert(p.version(1), 1), "stale") // a user.created sent again after the deletion
	assert.Empty(t, d.appUsers())
	assert.Zero(t, d.count(`SELECT count(*) FROM {projects}`), "the user's projects went with the user")
	assert.Equal(t, 1, d.count(`SELECT count(*) FROM {clerk_users} WHERE id = $1 AND deleted_at IS NOT NULL`, p.id), "the tombstone")
	assert.Zero(t, d.disagreements())

	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after its context was done")
	}
}

// TestHookFailureFailsTheDelivery breaks the hook with a CHECK constraint
// of app_users that some deliveries' emails fail. Such a delivery is
// answered 500 and leaves nothing behind, not in clerk_users nor in the
// ledger, while the deliveries that arrive with it, and may share its
// group commit, are applied; once the constraint is gone, Clerk's retry
// is processed.
func TestHookFailureFailsTheDelivery(t *testing.T) {
	pool := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, pool)
	d := db{t: t, pool: pool, schema: schema}
	secret := clerkhooktest.NewSecret()
	endpoint := replica(t, pool, schema, secret)
	d.exec(`ALTER TABLE {app_users} ADD CONSTRAINT app_users_email_allowed CHECK (email NOT LIKE '%@blocked.example.test')`)
	sign := newSigner(t, secret)
	client := &http.Client{Timeout: time.Minute}
	t.Cleanup(client.CloseIdleConnections)
	ctx := context.Background()

	const good = 15
	blocked := person{id: "user_own_blocked"}
	blockedUser := blocked.version(1)
	blockedUser.EmailAddresses[0].EmailAddress = "someone@blocked.example.test"
	deliveries := []delivery{sign.upsert(blockedUser, 1)}
	for i := range good {
		p := person{id: "user_own_good_" + string(rune('a'+i))}
		deliveries = append(deliveries, sign.upsert(p.version(1), 1))
	}
	statuses := make([]int, len(deliveries))
	concurrently(t, len(deliveries), func(i int) error {
		var err error
		statuses[i], _, err = post(ctx, client, endpoint, deliveries[i])
		return err
	})
	assert.Equal(t, http.StatusInternalServerError, statuses[0], "the delivery the hook failed")
	for i, s := range statuses[1:] {
		assert.Equal(t, http.StatusOK, s, "delivery %d, beside the one the hook failed", i+1)
	}
	assert.Zero(t, d.count(`SELECT count(*) FROM {clerk_users} WHERE id = $1`, blocked.id), "no clerk_users row")
	assert.Zero(t, d.count(`SELECT count(*) FROM {clerk_webhook_deliveries} WHERE id = $1 AND processed_at IS NOT NULL`, deliveries[0].id),
		"the delivery is not recorded as processed")
	assert.Len(t, d.appUsers(), good)
	assert.Zero(t, d.disagreements())

	// An update the hook fails leaves the version before it.
	victim := person{id: "user_own_good_a"}
	update := victim.version(2)
	update.EmailAddresses[1].EmailAddress = "someone-else@blocked.example.test"
	failing := sign.upsert(update, 2)
	for range 2 { // the retry fails as well: nothing was recorded
		status, _, err := post(ctx, client, endpoint, failing)
		require.NoError(t, err)
		assert.Equal(t, http.StatusInternalServerError, status)
	}
	assert.Equal(t, 1, d.count(`SELECT count(*) FROM {clerk_users} WHERE id = $1 AND updated_at = $2`, victim.id, time.UnixMilli(int64(at(1)))),
		"clerk_users keeps version 1")
	email, _ := victim.want(1)
	assert.Equal(t, email, d.appUser(victim.id).email)
	assert.Zero(t, d.disagreements())

	d.exec(`ALTER TABLE {app_users} DROP CONSTRAINT app_users_email_allowed`)
	for _, dl := range []delivery{deliveries[0], failing} {
		status, body, err := post(ctx, client, endpoint, dl)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "processed", body, "Clerk's retry is processed, not a duplicate")
	}
	assert.Equal(t, "someone-else@blocked.example.test", *d.appUser(victim.id).email)
	assert.Len(t, d.appUsers(), good+1)
	assert.Zero(t, d.disagreements())
}

// TestWritesOutsideADelivery writes through the store as Backfill does,
// with no delivery: the hook keeps app_users in step all the same.
func TestWritesOutsideADelivery(t *testing.T) {
	pool := pgtest.Connect(t, nil)
	schema := pgtest.FreshSchema(t, pool)
	d := db{t: t, pool: pool, schema: schema}
	a := newApp(schema)
	store := pgxstore.New(pool, pgxstore.WithSchema(schema), pgxstore.WithChangeHook(a.hook))
	ctx := context.Background()
	require.NoError(t, store.Migrate(ctx))
	require.NoError(t, a.migrate(ctx, pool))

	p := person{id: "user_own_backfilled", noName: true, noEmail: true}
	require.NoError(t, store.UpsertUser(ctx, p.version(2)))
	require.ErrorIs(t, store.UpsertUser(ctx, p.version(1)), clerkhook.ErrStale, "an older version")
	u := d.appUser(p.id)
	assert.Nil(t, u.email, "a phone-only user has no email")
	assert.Equal(t, "user_own_backfilled_v2", *u.displayName, "a user without a name shows the username")
	require.NoError(t, store.DeleteUser(ctx, p.id, time.UnixMilli(int64(at(3)))))
	assert.Empty(t, d.appUsers())
	assert.Zero(t, d.disagreements())
}

// concurrently runs fn(0) to fn(n-1) at once and fails the test with
// their errors.
func concurrently(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	require.NoError(t, errors.Join(errs...))
}
