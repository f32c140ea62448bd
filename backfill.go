package clerkhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBackendAPIURL is the base URL of Clerk's Backend API.
const DefaultBackendAPIURL = "https://api.clerk.com"

// MaxBackfillPageSize is the largest page of users the Backend API returns,
// and the page size [Backfill] asks for unless [WithPageSize] says otherwise.
const MaxBackfillPageSize = 500

// The limits of Backfill's retries. A page that fails transiently is
// retried after 1, 2, 4, 8 and 16 seconds; a rate-limited page waits as
// long as the Backend API says, up to maxRetryAfter, as many times as
// maxRateLimitWaits allows.
const (
	maxTransientRetries = 5
	firstBackoff        = time.Second
	// defaultRetryAfter is the wait after a 429 without a usable
	// Retry-After: the window of Clerk's rate limits.
	defaultRetryAfter = 10 * time.Second
	// maxRetryAfter keeps a wrong Retry-After from stalling a backfill.
	maxRetryAfter = time.Minute
	// maxRateLimitWaits tolerates minutes of sharing the rate limit with a
	// busy service, and still ends a backfill that can never get through.
	maxRateLimitWaits = 30
	// maxResponseBytes bounds what one answer may hold: a page of 500
	// users with large metadata stays far below it.
	maxResponseBytes = 64 << 20
	// defaultAPITimeout bounds one request of the default HTTP client.
	defaultAPITimeout = time.Minute
)

// BackendAPI is a client of the part of Clerk's Backend API that [Backfill]
// uses: listing users, reading one user, reading the secret key's instance
// ([WithInstanceID]), and counting users ([BackendAPI.CountUsers]). Create it with
// [NewBackendAPI]; it is safe for concurrent use. It never puts the secret
// key in an error, and prints as its base URL only.
type BackendAPI struct {
	secretKey string
	baseURL   string
	client    *http.Client
}

// A BackendAPIOption configures a [BackendAPI].
type BackendAPIOption func(*BackendAPI) error

// WithBackendURL sets the base URL of the Backend API, without the /v1
// path: a proxy, or an httptest server in tests. The default is
// [DefaultBackendAPIURL].
func WithBackendURL(baseURL string) BackendAPIOption {
	return func(api *BackendAPI) error {
		u, err := url.Parse(baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("clerkhook: WithBackendURL(%q): want an http or https URL such as %s", baseURL, DefaultBackendAPIURL)
		}
		api.baseURL = strings.TrimSuffix(u.String(), "/")
		return nil
	}
}

// WithHTTPClient sets the HTTP client that sends the requests. The default
// is a client with a timeout of one minute per request.
func WithHTTPClient(c *http.Client) BackendAPIOption {
	return func(api *BackendAPI) error {
		if c == nil {
			return errors.New("clerkhook: WithHTTPClient(nil)")
		}
		api.client = c
		return nil
	}
}

// NewBackendAPI returns a client of the Backend API that authenticates with
// secretKey, the instance's secret key from the Clerk Dashboard
// ("sk_live_…" or "sk_test_…"). It refuses an empty key, a key with
// spaces or control characters, and the publishable key or a webhook
// signing secret given by mistake.
func NewBackendAPI(secretKey string, opts ...BackendAPIOption) (*BackendAPI, error) {
	switch {
	case secretKey == "":
		return nil, errors.New("clerkhook: NewBackendAPI: empty secret key")
	case strings.HasPrefix(secretKey, "pk_"):
		return nil, errors.New("clerkhook: NewBackendAPI: that is the publishable key (pk_…); the Backend API needs the secret key (sk_…)")
	case strings.HasPrefix(secretKey, "whsec_"):
		return nil, errors.New("clerkhook: NewBackendAPI: that is a webhook signing secret (whsec_…); the Backend API needs the instance's secret key (sk_…)")
	case strings.ContainsFunc(secretKey, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return nil, errors.New("clerkhook: NewBackendAPI: the secret key contains spaces or control characters")
	}
	api := &BackendAPI{
		secretKey: secretKey,
		baseURL:   DefaultBackendAPIURL,
		client:    &http.Client{Timeout: defaultAPITimeout},
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("clerkhook: nil BackendAPIOption")
		}
		if err := o(api); err != nil {
			return nil, err
		}
	}
	return api, nil
}

// String returns a description of api that leaves out the secret key.
func (api *BackendAPI) String() string { return "clerkhook.BackendAPI(" + api.baseURL + ")" }

// GoString is String, so that %#v does not print the secret key either.
func (api *BackendAPI) GoString() string { return api.String() }

// BackendAPIError is the error of an answer from the Backend API that is
// not a success: at once for one that retrying cannot change, such as 401
// for a wrong key, or after the retries for a 429 or a 5xx.
type BackendAPIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the code of the first error in Clerk's answer, such as
	// "authentication_invalid", or "" when the answer carried none.
	Code string
	// TraceID is the answer's clerk_trace_id, which Clerk's support asks
	// for, or "".
	TraceID string

	// retryAfter is the wait the answer's Retry-After asked for, capped, or
	// 0 when it had none.
	retryAfter time.Duration
}

// Error describes the answer by its status and Clerk's code and trace id;
// never by its body.
func (e *BackendAPIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Clerk Backend API answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, ", clerk_trace_id %s", e.TraceID)
	}
	return b.String()
}

// do sends req once and returns the body of a 2xx answer, or an error:
// a *BackendAPIError for another status, or the transport's error.
func (api *BackendAPI) do(req *http.Request, now time.Time) ([]byte, error) {
	resp, err := api.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if len(body) > maxResponseBytes {
			return nil, &tooLargeError{}
		}
		return body, nil
	}
	apiErr := &BackendAPIError{
		StatusCode: resp.StatusCode,
		retryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
	var clerkErr struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
		TraceID string `json:"clerk_trace_id"`
	}
	if json.Unmarshal(body, &clerkErr) == nil {
		apiErr.TraceID = clerkErr.TraceID
		if len(clerkErr.Errors) > 0 {
			apiErr.Code = clerkErr.Errors[0].Code
		}
	}
	return nil, apiErr
}

// tooLargeError is the error of an answer over maxResponseBytes, which
// retrying would not change.
type tooLargeError struct{}

func (*tooLargeError) Error() string {
	return fmt.Sprintf("the answer is over %d bytes", maxResponseBytes)
}

// parseRetryAfter returns the wait a Retry-After header asks for, in
// seconds or as an HTTP date, capped at maxRetryAfter; 0 when there is
// none or it cannot be read.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// BackfillReport counts what a [Backfill] did so far.
type BackfillReport struct {
	// Pages is the number of pages of users listed.
	Pages int
	// Seen is the number of users from the Backend API that Backfill
	// handed to the store.
	Seen int
	// Written is the number of users the store accepted. A store may
	// refuse an older version without saying so (UpsertUser returns nil),
	// so it can count users that were not written.
	Written int
	// Stale is the number of users the store refused with an error
	// matching [ErrStale]: it holds a newer version, from a webhook, or
	// the user's tombstone.
	Stale int
	// Deleted is the number of users [WithReconcile] deleted from the
	// store.
	Deleted int
	// Missing is the number of stored users the listing did not return,
	// which [WithReconcile] asks Clerk about: those Clerk no longer has are
	// deleted (or, in a dry run, listed in WouldDelete); the others are
	// written.
	Missing int
	// WouldDelete holds, after a dry run ([WithDryRun]) with
	// [WithReconcile], the ids of the users the reconcile would have
	// deleted: Clerk ids, which say nothing about the person.
	WouldDelete []string
	// Anomalies lists, once each, the places in a user object where a
	// value from the Backend API did not fit its field, as the Handler's
	// [Observation.Anomalies] does: JSON pointers made of schema field
	// names and list indexes only. The users were written with those
	// fields at zero, and their Raw keeps the values.
	Anomalies []string
}

// A BackfillOption configures a [Backfill].
type BackfillOption func(*backfillConfig) error

type backfillConfig struct {
	pageSize  int
	progress  func(BackfillReport)
	reconcile bool
	// maxDeletions is the most users a reconcile may delete, or -1 for
	// the default limit, maxReconcileDeletions.
	maxDeletions int
	dryRun       bool
	instanceID   string
	now          func() time.Time
	sleep        func(context.Context, time.Duration) error
}

// WithPageSize sets how many users Backfill asks for per request, from 1
// to [MaxBackfillPageSize], the default.
func WithPageSize(n int) BackfillOption {
	return func(c *backfillConfig) error {
		if n < 1 || n > MaxBackfillPageSize {
			return fmt.Errorf("clerkhook: WithPageSize(%d): the page size must be from 1 to %d", n, MaxBackfillPageSize)
		}
		c.pageSize = n
		return nil
	}
}

// WithProgress sets a function that Backfill calls with its report after
// each page it has written, and once more after reconciling
// ([WithReconcile]). It runs on Backfill's goroutine: a slow function
// slows the backfill down.
func WithProgress(fn func(BackfillReport)) BackfillOption {
	return func(c *backfillConfig) error {
		if fn == nil {
			return errors.New("clerkhook: WithProgress(nil)")
		}
		c.progress = fn
		return nil
	}
}

// WithReconcile makes Backfill, after it has listed every user without an
// error, delete from the store the users Clerk no longer has: those whose
// user.deleted delivery was lost, or happened before the webhook endpoint
// existed. The store must implement [UserLister].
//
// A deletion is final, and a listing can come back empty or short for
// reasons that have nothing to do with the users: the secret key of
// another instance, a development key against the production database, an
// incident at Clerk. So the reconcile refuses what looks like one of those
// and deletes nothing:
//   - after an empty listing, while the store holds users, it returns an
//     error matching [ErrEmptyListing], whatever
//     [WithMaxReconcileDeletions] allows;
//   - when the stored users the listing did not return are more than 5% of
//     the stored users, or than 3 when that is more (so that a small table
//     still reconciles: 1 missing of 40 is repaired, 4 of 40 are not), it
//     returns an error matching [ErrTooManyDeletions] that says how many
//     and how to allow them, with [WithMaxReconcileDeletions].
//
// Otherwise it asks the Backend API for each missing user and deletes
// those it answers 404 for; a user it finds, one that signed up as the
// listing ended for example, is written like the listed ones. See
// [WithDryRun] to see the deletions first, and [WithInstanceID] to check
// the key's instance.
func WithReconcile() BackfillOption {
	return func(c *backfillConfig) error {
		c.reconcile = true
		return nil
	}
}

// WithMaxReconcileDeletions sets how many users [WithReconcile] may delete,
// in place of its default limit (5% of the stored users, at least 3): pass
// the count that an error matching [ErrTooManyDeletions] reported, once
// you know the deletions are right. Zero allows none. It never allows the
// deletions after an empty listing ([ErrEmptyListing]).
func WithMaxReconcileDeletions(n int) BackfillOption {
	return func(c *backfillConfig) error {
		if n < 0 {
			return fmt.Errorf("clerkhook: WithMaxReconcileDeletions(%d): want 0 or more", n)
		}
		c.maxDeletions = n
		return nil
	}
}

// WithDryRun makes Backfill list the users and, with [WithReconcile],
// compare them with the store and ask Clerk about the missing ones, but
// write nothing: no user is upserted or deleted. The report counts the
// users listed (Seen) and missing (Missing), and lists in WouldDelete the
// users a reconcile would delete; the refusals of WithReconcile apply as
// in a real run, before any user is asked about.
func WithDryRun() BackfillOption {
	return func(c *backfillConfig) error {
		c.dryRun = true
		return nil
	}
}

// WithInstanceID makes Backfill check, before it lists or writes anything,
// that the secret key belongs to the Clerk instance with the given id
// ("ins_…", the instance_id of every webhook delivery, also shown in the
// Clerk Dashboard); otherwise it returns an error matching
// [ErrWrongInstance]. It asks the Backend API (GET /v1/instance). The
// stores do not record which instance their users came from, so Backfill
// cannot make this check by itself: the limits of [WithReconcile] are what
// keep a wrong key from deleting users when the id is not given.
func WithInstanceID(id string) BackfillOption {
	return func(c *backfillConfig) error {
		if !strings.HasPrefix(id, "ins_") {
			// Without the value: it may be a secret key given by mistake.
			return errors.New("clerkhook: WithInstanceID: want an instance id, ins_…")
		}
		c.instanceID = id
		return nil
	}
}

// The errors of the reconcile's refusals and of the instance check; see
// [WithReconcile] and [WithInstanceID].
var (
	// ErrEmptyListing matches the error of a reconcile after a listing
	// that returned no user while the store holds some.
	ErrEmptyListing = errors.New("clerkhook: the Backend API listed no users")
	// ErrTooManyDeletions matches the error of a reconcile that would
	// delete more users than it may.
	ErrTooManyDeletions = errors.New("clerkhook: reconcile would delete too many users")
	// ErrWrongInstance matches the error of a Backfill whose secret key
	// belongs to another instance than [WithInstanceID] names.
	ErrWrongInstance = errors.New("clerkhook: the secret key is another instance's")
)

// The default limit of a reconcile's deletions: reconcileShare percent of
// the stored users, and at least reconcileFloor.
const (
	reconcileShare = 5
	reconcileFloor = 3
)

// maxReconcileDeletions is the default limit of the deletions of a
// reconcile when the store holds stored users.
func maxReconcileDeletions(stored int) int {
	return max(stored*reconcileShare/100, reconcileFloor)
}

// WithBackfillClock sets the clock that dates the deletions of
// [WithReconcile] and reads Retry-After dates. It is meant for tests; the
// default is [time.Now].
func WithBackfillClock(now func() time.Time) BackfillOption {
	return func(c *backfillConfig) error {
		if now == nil {
			return errors.New("clerkhook: WithBackfillClock(nil)")
		}
		c.now = now
		return nil
	}
}

// WithBackfillSleep sets the function Backfill waits with before it retries
// a request. It must return early, with ctx's error, when ctx is done. It
// is meant for tests, which can record the waits instead of sleeping; the
// default waits on a timer.
func WithBackfillSleep(sleep func(ctx context.Context, d time.Duration) error) BackfillOption {
	return func(c *backfillConfig) error {
		if sleep == nil {
			return errors.New("clerkhook: WithBackfillSleep(nil)")
		}
		c.sleep = sleep
		return nil
	}
}

// sleepContext waits for d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Backfill copies the users Clerk already has into store: webhooks only
// tell of changes after the endpoint was created. Start the webhook
// endpoint first, so that no change falls between the two.
//
// It lists the users oldest first (GET /v1/users?order_by=+created_at),
// so that users created meanwhile come at the end, and upserts each one
// through store, whose rules keep a version written by a webhook during
// the backfill when it is newer, and a deleted user deleted. It stops
// after a page shorter than the page size ([WithPageSize]).
//
// It pages by creation time rather than by offset, so that users deleted
// during the listing cannot shift a user past a page boundary unseen: each
// page after the first asks for the users created since the last one
// listed (created_at_after), and a user listed twice is written once. Only
// when more users than a page holds were created in the same millisecond
// does it page by offset within that millisecond.
//
// A 429 answer is retried after the wait its Retry-After header asks for
// (10 seconds when it has none, at most a minute), up to 30 times in a
// row; a 5xx answer or a transport error is retried 5 times, after 1, 2,
// 4, 8 and 16 seconds, or the wait a 5xx answer's Retry-After asks for.
// Other answers end the backfill with a [*BackendAPIError].
//
// Backfill returns the report of what it did, also when it fails. When ctx
// is done it stops before the next request or store write, and returns an
// error matching ctx's error. Running it again is harmless: it writes the
// same users again. See [WithReconcile] to delete the users Clerk no
// longer has.
func Backfill(ctx context.Context, api *BackendAPI, store UserStore, opts ...BackfillOption) (BackfillReport, error) {
	var report BackfillReport
	if api == nil {
		return report, errors.New("clerkhook: Backfill: nil BackendAPI")
	}
	if store == nil {
		return report, errors.New("clerkhook: Backfill: nil UserStore")
	}
	c := backfillConfig{pageSize: MaxBackfillPageSize, maxDeletions: -1, now: time.Now, sleep: sleepContext}
	for _, o := range opts {
		if o == nil {
			return report, errors.New("clerkhook: nil BackfillOption")
		}
		if err := o(&c); err != nil {
			return report, err
		}
	}
	b := &backfiller{api: api, store: store, c: &c, report: &report}
	var lister UserLister
	if c.reconcile {
		var ok bool
		if lister, ok = store.(UserLister); !ok {
			return report, fmt.Errorf("clerkhook: Backfill: WithReconcile needs a store that implements UserLister, and %T does not", store)
		}
		b.seen = make(map[string]struct{})
	}
	if c.instanceID != "" {
		if err := b.checkInstance(ctx); err != nil {
			return report, err
		}
	}
	if err := b.list(ctx); err != nil {
		return report, err
	}
	if lister != nil {
		if err := b.reconcile(ctx, lister); err != nil {
			return report, err
		}
		if c.progress != nil {
			c.progress(report)
		}
	}
	return report, nil
}

// backfiller is the state of one Backfill.
type backfiller struct {
	api    *BackendAPI
	store  UserStore
	c      *backfillConfig
	report *BackfillReport
	// seen holds the ids the listing returned, for WithReconcile.
	seen map[string]struct{}
}

// list pages through the users and writes them.
func (b *backfiller) list(ctx context.Context) error {
	var cur listCursor
	for {
		page := b.report.Pages + 1
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("clerkhook: backfill stopped before page %d: %w", page, err)
		}
		body, err := b.get(ctx, "/v1/users?"+cur.query(b.c.pageSize).Encode())
		if err != nil {
			return fmt.Errorf("clerkhook: backfill: listing page %d of the users: %w", page, err)
		}
		users, anomalies, err := decodeUserList(body)
		b.report.Anomalies = addAnomalies(b.report.Anomalies, anomalies)
		if err != nil {
			return fmt.Errorf("clerkhook: backfill: page %d of the users is not a JSON array of users: %s", page, jsonErrorText(err))
		}
		for i, u := range users {
			if u == nil || u.ID == "" {
				return fmt.Errorf("clerkhook: backfill: user %d of page %d has no id", i, page)
			}
			switch fresh, err := cur.add(u); {
			case err != nil:
				return fmt.Errorf("clerkhook: backfill: page %d: %w", page, err)
			case !fresh:
				continue
			}
			if b.seen != nil {
				b.seen[u.ID] = struct{}{}
			}
			if err := b.write(ctx, u); err != nil {
				return err
			}
		}
		b.report.Pages++
		if b.c.progress != nil {
			b.c.progress(*b.report)
		}
		if len(users) < b.c.pageSize {
			return nil
		}
		cur.next(len(users))
	}
}

// write upserts one user and counts it.
func (b *backfiller) write(ctx context.Context, u *User) error {
	// A store may ignore ctx: stop here rather than write a whole page
	// after a cancellation.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("clerkhook: backfill stopped before user %s: %w", u.ID, err)
	}
	b.report.Seen++
	if b.c.dryRun {
		return nil
	}
	switch err := b.store.UpsertUser(ctx, u); {
	case err == nil:
		b.report.Written++
	case errors.Is(err, ErrStale):
		b.report.Stale++
	default:
		return fmt.Errorf("clerkhook: backfill: writing user %s: %w", u.ID, err)
	}
	return nil
}

// reconcile deletes the stored users that the listing did not return and
// that the Backend API does not know, unless their number looks like a
// mistake (see WithReconcile).
func (b *backfiller) reconcile(ctx context.Context, lister UserLister) error {
	ids, err := lister.UserIDs(ctx)
	if err != nil {
		return fmt.Errorf("clerkhook: backfill: listing the stored users: %w", err)
	}
	var missing []string
	for _, id := range ids {
		if _, ok := b.seen[id]; !ok {
			missing = append(missing, id)
		}
	}
	b.report.Missing = len(missing)
	if len(missing) == 0 {
		return nil
	}
	if len(b.seen) == 0 {
		return fmt.Errorf("%w while the store holds %d; reconcile deletes nothing after an empty listing: "+
			"check that the secret key is the instance's the store was filled from, and Clerk's status",
			ErrEmptyListing, len(ids))
	}
	limit, limitText := b.c.maxDeletions, "WithMaxReconcileDeletions allows"
	if limit < 0 {
		limit = maxReconcileDeletions(len(ids))
		limitText = fmt.Sprintf("it deletes by default (%d%% of the stored users, at least %d)", reconcileShare, reconcileFloor)
	}
	if len(missing) > limit {
		return fmt.Errorf("%w: %d of the %d stored users are missing from the listing, more than the %d %s; nothing was deleted. "+
			"Check that the secret key is the instance's the store was filled from; if the deletions are right, "+
			"allow them with WithMaxReconcileDeletions(%d), after a look with WithDryRun",
			ErrTooManyDeletions, len(missing), len(ids), limit, limitText, len(missing))
	}
	var gone []string
	for _, id := range missing {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("clerkhook: backfill stopped while reconciling: %w", err)
		}
		body, err := b.get(ctx, "/v1/users/"+url.PathEscape(id))
		var apiErr *BackendAPIError
		switch {
		case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound:
			gone = append(gone, id)
		case err != nil:
			return fmt.Errorf("clerkhook: backfill: checking user %s: %w", id, err)
		default:
			u, anomalies, err := decodeUserObject(body)
			b.report.Anomalies = addAnomalies(b.report.Anomalies, anomalies)
			if err != nil || u.ID != id {
				return fmt.Errorf("clerkhook: backfill: the Backend API's answer for user %s is not that user", id)
			}
			if err := b.write(ctx, u); err != nil {
				return err
			}
		}
	}
	if b.c.dryRun {
		b.report.WouldDelete = gone
		return nil
	}
	for _, id := range gone {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("clerkhook: backfill stopped while reconciling: %w", err)
		}
		if err := b.store.DeleteUser(ctx, id, b.c.now()); err != nil {
			return fmt.Errorf("clerkhook: backfill: deleting user %s: %w", id, err)
		}
		b.report.Deleted++
	}
	return nil
}

// checkInstance fails unless the secret key belongs to the instance of
// WithInstanceID.
func (b *backfiller) checkInstance(ctx context.Context) error {
	body, err := b.get(ctx, "/v1/instance")
	if err != nil {
		return fmt.Errorf("clerkhook: backfill: reading the secret key's instance: %w", err)
	}
	var instance struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &instance); err != nil || instance.ID == "" {
		return errors.New("clerkhook: backfill: the Backend API's answer for the instance has no id")
	}
	if instance.ID != b.c.instanceID {
		return fmt.Errorf("%w: it belongs to instance %s, not %s; nothing was listed or written",
			ErrWrongInstance, instance.ID, b.c.instanceID)
	}
	return nil
}

// get sends a GET request for pathAndQuery and returns the body of the
// successful answer, retrying as Backfill documents.
func (b *backfiller) get(ctx context.Context, pathAndQuery string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.api.baseURL+pathAndQuery, nil)
	if err != nil {
		return nil, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+b.api.secretKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "clerkhook-backfill")
	var failures, rateLimited int
	for {
		body, err := b.api.do(req, b.c.now())
		if err == nil {
			return body, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var wait time.Duration
		var apiErr *BackendAPIError
		var tooLarge *tooLargeError
		isAPIErr := errors.As(err, &apiErr)
		switch {
		case errors.As(err, &tooLarge):
			return nil, err
		case isAPIErr && apiErr.StatusCode == http.StatusTooManyRequests:
			if rateLimited++; rateLimited > maxRateLimitWaits {
				return nil, fmt.Errorf("still rate limited after %d waits: %w", maxRateLimitWaits, err)
			}
			wait = apiErr.retryAfter
			if wait == 0 {
				wait = defaultRetryAfter
			}
		case isAPIErr && apiErr.StatusCode < 500:
			return nil, err
		default:
			if failures++; failures > maxTransientRetries {
				return nil, fmt.Errorf("giving up after %d attempts: %w", failures, err)
			}
			wait = firstBackoff << (failures - 1)
			if isAPIErr && apiErr.retryAfter > 0 {
				wait = apiErr.retryAfter
			}
		}
		if err := b.c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}
