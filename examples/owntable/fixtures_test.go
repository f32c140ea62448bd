package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// epoch is when the invented users signed up; version v of a user is
// updated at at(v), and its deletion after version n happens at at(n+1).
var epoch = clerkhook.UnixMilli(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli())

func at(v int) clerkhook.UnixMilli { return epoch + clerkhook.UnixMilli(v)*1000 }

func ptr[T any](v T) *T { return &v }

// person describes an invented user: which of the fields the app copies
// it has.
type person struct {
	id         string
	noName     bool // no first or last name: the app shows the username
	noUsername bool
	noEmail    bool // phone-only: the app has no email
}

// version returns version v of p. Its primary email changes at every
// version, and is the second of its addresses at even versions.
func (p person) version(v int) *clerkhook.User {
	u := &clerkhook.User{ID: p.id, Object: "user", CreatedAt: epoch, UpdatedAt: at(v),
		PublicMetadata: json.RawMessage(`{}`), PrivateMetadata: json.RawMessage(`{}`), UnsafeMetadata: json.RawMessage(`{}`)}
	if !p.noEmail {
		first := clerkhook.EmailAddress{ID: "idn_first_" + p.id, Object: "email_address", EmailAddress: p.email(v, 1)}
		second := clerkhook.EmailAddress{ID: "idn_second_" + p.id, Object: "email_address", EmailAddress: p.email(v, 2)}
		u.EmailAddresses = []clerkhook.EmailAddress{first, second}
		u.PrimaryEmailAddressID = ptr(first.ID)
		if v%2 == 0 {
			u.PrimaryEmailAddressID = ptr(second.ID)
		}
	} else {
		u.PhoneNumbers = []clerkhook.PhoneNumber{{ID: "idn_phone_" + p.id, Object: "phone_number", PhoneNumber: "+15555550123"}}
		u.PrimaryPhoneNumberID = ptr("idn_phone_" + p.id)
	}
	if !p.noName {
		u.FirstName, u.LastName = ptr(fmt.Sprintf("First%d", v)), ptr("Example")
	}
	if !p.noUsername {
		u.Username = ptr(fmt.Sprintf("%s_v%d", p.id, v))
	}
	return u
}

func (p person) email(v, which int) string {
	return fmt.Sprintf("%s-%d-v%d@example.test", p.id, which, v)
}

// want returns the email and display name the app must hold for version
// v, spelled out rather than computed as the hook computes them; nil for
// none.
func (p person) want(v int) (email, name *string) {
	if !p.noEmail {
		email = ptr(p.email(v, 1+(1-v%2)))
	}
	switch {
	case !p.noName:
		name = ptr(fmt.Sprintf("First%d Example", v))
	case !p.noUsername:
		name = ptr(fmt.Sprintf("%s_v%d", p.id, v))
	}
	return email, name
}

// delivery is a signed request body, ready to be sent any number of times.
type delivery struct {
	id        string
	eventType string
	body      []byte
	header    http.Header
}

// signer signs the deliveries of one endpoint.
type signer struct {
	t testing.TB
	s *clerkhooktest.Signer
}

func newSigner(t testing.TB, secret string) *signer {
	s, err := clerkhooktest.NewSigner(secret)
	require.NoError(t, err)
	return &signer{t: t, s: s}
}

// delivery returns a delivery of an event of eventType carrying data, that
// happened at ts.
func (s *signer) delivery(eventType string, data any, ts clerkhook.UnixMilli) delivery {
	evt, err := clerkhooktest.NewEvent(eventType, data)
	require.NoError(s.t, err)
	evt.Timestamp = int64(ts)
	body, err := json.Marshal(evt)
	require.NoError(s.t, err)
	id := newDeliveryID()
	return delivery{id: id, eventType: eventType, body: body, header: s.s.Headers(id, time.Now(), body)}
}

func (s *signer) upsert(u *clerkhook.User, v int) delivery {
	typ := clerkhook.EventUserUpdated
	if v == 1 {
		typ = clerkhook.EventUserCreated
	}
	return s.delivery(typ, u, u.UpdatedAt)
}

func (s *signer) deletion(id string, ts clerkhook.UnixMilli) delivery {
	return s.delivery(clerkhook.EventUserDeleted, clerkhook.DeletedObject{Object: "user", ID: id, Deleted: true}, ts)
}

func newDeliveryID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand does not fail on the platforms Go supports.
	return "msg_" + hex.EncodeToString(b)
}

// post sends d to url and returns the status and the body of the answer.
func post(ctx context.Context, client *http.Client, url string, d delivery) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range d.header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body)), err
}

// replica is one copy of the program: its own pool, store and Handler,
// served over HTTP.
func replica(t *testing.T, pool *pgxpool.Pool, schema, secret string) string {
	t.Helper()
	h, err := setup(context.Background(), pool, schema, secret, quiet())
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/clerk"
}

// quiet returns a logger that writes nowhere.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// db runs the checks' queries in one test schema.
type db struct {
	t      *testing.T
	pool   *pgxpool.Pool
	schema string
}

// table returns the quoted, schema-qualified name of a table.
func (d db) table(name string) string { return pgx.Identifier{d.schema, name}.Sanitize() }

// exec runs a statement whose {name} placeholders name tables of the
// schema.
func (d db) exec(sql string, args ...any) {
	d.t.Helper()
	_, err := d.pool.Exec(context.Background(), d.expand(sql), args...)
	require.NoError(d.t, err, sql)
}

// count returns the number of rows a query of the form "SELECT count(*) …"
// counts.
func (d db) count(sql string, args ...any) int {
	d.t.Helper()
	var n int
	require.NoError(d.t, d.pool.QueryRow(context.Background(), d.expand(sql), args...).Scan(&n), sql)
	return n
}

// expand replaces {app_users}, {projects}, {clerk_users},
// {clerk_webhook_deliveries} and {flaky} with the qualified names of the
// tables and of the function of TestReplicasConverge's trigger.
func (d db) expand(sql string) string {
	for _, name := range []string{"app_users", "projects", "clerk_users", "clerk_webhook_deliveries", "flaky"} {
		sql = strings.ReplaceAll(sql, "{"+name+"}", d.table(name))
	}
	return sql
}

// appUser is a row of app_users.
type appUser struct {
	id                 int64
	email, displayName *string
	plan               string
}

// appUsers returns app_users by clerk_id.
func (d db) appUsers() map[string]appUser {
	d.t.Helper()
	rows, err := d.pool.Query(context.Background(), d.expand(`SELECT clerk_id, id, email, display_name, plan FROM {app_users}`))
	require.NoError(d.t, err)
	out := map[string]appUser{}
	for rows.Next() {
		var clerkID string
		var u appUser
		require.NoError(d.t, rows.Scan(&clerkID, &u.id, &u.email, &u.displayName, &u.plan))
		out[clerkID] = u
	}
	require.NoError(d.t, rows.Err())
	return out
}

// appUser returns the app user of clerkID, which must exist.
func (d db) appUser(clerkID string) appUser {
	d.t.Helper()
	u, ok := d.appUsers()[clerkID]
	require.True(d.t, ok, "no app user for %s", clerkID)
	return u
}

// disagreements counts the rows on which app_users and the live rows of
// clerk_users disagree: a live user without an app user, an app user
// without a live user (a deleted one, or none), or a different email or
// display name.
func (d db) disagreements() int {
	d.t.Helper()
	return d.count(`SELECT count(*) FROM (SELECT * FROM {clerk_users} WHERE deleted_at IS NULL) c
FULL JOIN {app_users} a ON a.clerk_id = c.id
WHERE c.id IS NULL OR a.clerk_id IS NULL OR a.email IS DISTINCT FROM c.email
   OR a.display_name IS DISTINCT FROM
      coalesce(nullif(concat_ws(' ', nullif(c.first_name, ''), nullif(c.last_name, '')), ''), nullif(c.username, ''))`)
}
