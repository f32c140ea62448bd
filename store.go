package clerkhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// ErrUserNotFound is matched by the error a [UserReader] returns for an id
// it does not hold, or holds only as a deleted user.
var ErrUserNotFound = errors.New("clerkhook: user not found")

// ErrOrganizationNotFound is matched by the error an [OrganizationReader]
// returns for an id it does not hold, or holds only as deleted.
var ErrOrganizationNotFound = errors.New("clerkhook: organization not found")

// ErrMembershipNotFound is matched by the error a [MembershipReader]
// returns for a membership it does not hold, or holds only as deleted.
var ErrMembershipNotFound = errors.New("clerkhook: membership not found")

// ErrStale is matched by the error a store may return from an upsert that
// it refused because it holds a newer version of the record or a tombstone.
// It is not a failure: the [Handler] acknowledges the delivery, and
// [Backfill] counts the user as skipped. A store may as well return nil,
// but then the Handler counts the write as applied and runs the event
// handlers of [WithEventHandler], which a superseded event does not run.
var ErrStale = errors.New("clerkhook: stale write ignored")

// ErrDuplicateDelivery is matched by the error a [Deduplicator] returns
// from ClaimDelivery for a delivery that was already processed.
var ErrDuplicateDelivery = errors.New("clerkhook: delivery already processed")

// ErrDeliveryInProgress is matched by the error a [Deduplicator] returns
// from ClaimDelivery while another attempt of the same delivery is being
// processed.
var ErrDeliveryInProgress = errors.New("clerkhook: delivery in progress")

// UserStore is where a [Handler] writes the users Clerk tells it about.
//
// Clerk delivers events at least once and in no particular order, so an
// implementation must keep these rules, which make every sequence of
// deliveries converge on the newest state:
//
//   - UpsertUser stores u unless the store holds a version of the same user
//     whose UpdatedAt is newer; a version with the same UpdatedAt replaces
//     the stored one, which makes a repeated upsert harmless. When it keeps
//     the stored version instead, it returns nil or an error matching
//     [ErrStale].
//   - DeleteUser leaves a tombstone: the user is gone for readers, and no
//     later UpsertUser for that id, whatever its UpdatedAt, brings it back
//     (Clerk never reuses ids). Deleting an unknown or deleted id is not an
//     error, and it also leaves a tombstone, so that an upsert arriving
//     after the delete is refused. A tombstone need not keep any personal
//     data, and should not.
//   - When the store also implements [MembershipStore], DeleteUser removes
//     the user's memberships.
//   - Both methods are safe for concurrent use, including for the same id,
//     and return an error only when the write may not have happened; the
//     Handler then answers 5xx so that Clerk retries.
//
// Every store is given the same text, whatever its database can hold: the
// library replaces, in the raw JSON of each payload and before decoding it
// (in the Handler, ParseEvent, the typed accessors of Event and Backfill),
// the escape \u0000, escaped UTF-16 surrogates that are not half of a pair,
// and invalid UTF-8 with U+FFFD, the replacement character, in every
// string, member names included. The typed fields and the records' Raw
// data agree, and hold no U+0000 and no invalid UTF-8, which PostgreSQL's
// text and jsonb refuse. An escaped backslash before u0000 (\\u0000) is
// text, and stays.
//
// The package clerkhooktest checks an implementation against these rules.
type UserStore interface {
	UpsertUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, id string, deletedAt time.Time) error
}

// UserReader reads users back from a store. User returns an error matching
// [ErrUserNotFound] for an unknown or deleted id.
type UserReader interface {
	User(ctx context.Context, id string) (*User, error)
}

// OrganizationStore is implemented by stores that also keep organizations.
// Its rules are those of [UserStore]: the newest UpdatedAt wins, a deleted
// organization stays deleted, both methods are idempotent. With
// [MembershipStore], DeleteOrganization removes the organization's
// memberships.
type OrganizationStore interface {
	UpsertOrganization(ctx context.Context, o *Organization) error
	DeleteOrganization(ctx context.Context, id string, deletedAt time.Time) error
}

// OrganizationReader reads organizations back from a store. Organization
// returns an error matching [ErrOrganizationNotFound] for an unknown or
// deleted id.
type OrganizationReader interface {
	Organization(ctx context.Context, id string) (*Organization, error)
}

// MembershipStore is implemented by stores that also keep organization
// memberships, keyed by organization id and user id.
//
// UpsertMembership stores m unless the store holds a newer version of the
// same membership, or the membership was deleted at or after m.UpdatedAt, or
// its organization or user is deleted. DeleteMembership removes the
// membership and remembers when, so that a late upsert older than the
// deletion cannot bring it back, while a user who is invited again later
// can be; it is idempotent and not an error for an unknown membership. A
// deletion older than the stored membership (the user joined again since)
// changes nothing, and, as for a refused upsert, returns nil or an error
// matching [ErrStale].
type MembershipStore interface {
	UpsertMembership(ctx context.Context, m *OrganizationMembership) error
	DeleteMembership(ctx context.Context, organizationID, userID string, deletedAt time.Time) error
}

// MembershipReader reads memberships back from a store. Membership returns
// an error matching [ErrMembershipNotFound] when the user is not a member.
type MembershipReader interface {
	Membership(ctx context.Context, organizationID, userID string) (*OrganizationMembership, error)
}

// ErrClaimLost is matched by the error a [Deduplicator] returns from
// CompleteDelivery or ReleaseDelivery when the token no longer holds the
// claim of the delivery: the claim lapsed and another attempt took it over,
// it was released, or (for ReleaseDelivery) completed. Nothing is changed.
var ErrClaimLost = errors.New("clerkhook: delivery claim lost")

// Deduplicator is implemented by stores that remember which deliveries they
// have processed, so that a delivery Clerk sends again (a retry after a lost
// response, or a replay) is acknowledged without being applied again.
//
// The Handler calls ClaimDelivery before it touches the store, then
// CompleteDelivery once the store writes and every event handler have
// succeeded, or ReleaseDelivery when something failed, so that the retry
// can claim the delivery again. It calls both with a deadline of their own,
// detached from the work's, so that work that outlived its deadline is
// still recorded.
//
// ClaimDelivery returns a token made by the store, unique per claim, or an
// error matching [ErrDuplicateDelivery] for a completed delivery, and one
// matching [ErrDeliveryInProgress] while another claim of the same id is
// outstanding. A claim that is neither completed nor released, because the
// process died, must lapse after a while, so that the delivery is not
// refused forever; a later ClaimDelivery then takes it over with a new
// token. CompleteDelivery and ReleaseDelivery act only for the token of
// the outstanding claim: with any other (a lapsed claim another attempt
// took over, a released one, a token the store never made) they change
// nothing and return an error matching [ErrClaimLost], so that an attempt
// that outlived its claim can neither free nor finish the claim of the
// attempt that took over. CompleteDelivery with the token of a completed
// claim returns nil; ReleaseDelivery of a completed claim changes nothing
// and returns an error matching ErrClaimLost. A store forgets completed
// deliveries after a retention period that should cover Clerk's retry
// schedule: at least 48 hours.
//
// A store whose claims lapse should also implement [ClaimTimeouter], so
// that [NewHandler] can refuse a [WithTimeout] under which claims could
// lapse while their attempt still runs.
type Deduplicator interface {
	ClaimDelivery(ctx context.Context, deliveryID, eventType string) (token string, err error)
	CompleteDelivery(ctx context.Context, deliveryID, token string) error
	ReleaseDelivery(ctx context.Context, deliveryID, token string) error
}

// ClaimTimeouter is implemented by a [Deduplicator] to state how long its
// claims last before another attempt may take them over. [NewHandler]
// refuses the store when the claim timeout is shorter than twice
// [WithTimeout]: an attempt's work runs for up to WithTimeout, and its
// completion or release for up to WithTimeout again on a deadline of its
// own, and the claim must outlast both.
type ClaimTimeouter interface {
	ClaimTimeout() time.Duration
}

// DeliveryWriter is implemented by a [Deduplicator] that can record a
// delivery in the same step as the user write it causes, sparing the
// separate claim and completion: for a database, one round trip instead of
// three. The Handler uses it for user events that have no event handler of
// their own (WithEventHandler), since those must run before the delivery
// counts as processed.
//
// Each method applies its write with the rules of [UserStore] and records
// deliveryID as processed, both or neither. For a delivery already
// processed or claimed it writes nothing and returns an error matching
// [ErrDuplicateDelivery] or [ErrDeliveryInProgress]. UpsertUserDelivery
// may return an error matching [ErrStale] after recording the delivery.
type DeliveryWriter interface {
	UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *User) error
	DeleteUserDelivery(ctx context.Context, deliveryID, eventType, userID string, deletedAt time.Time) error
}

// NonBlockingStore is implemented by a store whose methods never wait: not
// on a network, a disk, or a lock held across either, as the MemoryStore's.
// When NonBlocking reports true, the [Handler] calls the store on the
// request's goroutine for deliveries without event handlers, sparing the
// goroutine, channel and timer that enforce [WithTimeout] on a store that
// could block (BenchmarkHandler: 10 allocations and about 800 bytes of a
// delivery's 88 and 13 KB). A wrapper that embeds such a store and can
// block must report false.
type NonBlockingStore interface {
	NonBlocking() bool
}

// Defaults of a [MemoryStore]'s delivery ledger.
const (
	// DefaultDeliveryRetention covers Clerk's retry schedule, whose last
	// attempt comes about 28 hours after the first, with room for a manual
	// replay from the Dashboard.
	DefaultDeliveryRetention = 72 * time.Hour
	// DefaultMaxDeliveries bounds the ledger to a few tens of megabytes. A
	// service receiving more deliveries within the retention period should
	// keep them in a database (package pgxstore).
	DefaultMaxDeliveries = 500_000
	// DefaultClaimTimeout is how long a claim of a delivery that was
	// neither completed nor released blocks other attempts.
	DefaultClaimTimeout = 2 * time.Minute
)

// A MemoryStoreOption configures a [MemoryStore].
type MemoryStoreOption func(*MemoryStore)

// WithDeliveryRetention sets how long a MemoryStore remembers a processed
// delivery. The default is [DefaultDeliveryRetention], which a
// non-positive d keeps, for the reason [WithMaxDeliveries] gives.
func WithDeliveryRetention(d time.Duration) MemoryStoreOption {
	return func(s *MemoryStore) {
		if d > 0 {
			s.retention = d
		}
	}
}

// WithMaxDeliveries bounds the number of processed deliveries a MemoryStore
// remembers; past it, the oldest are forgotten before their retention ends.
// The default is [DefaultMaxDeliveries], which a non-positive n keeps: a
// ledger that remembered nothing would switch deduplication off without a
// word.
func WithMaxDeliveries(n int) MemoryStoreOption {
	return func(s *MemoryStore) {
		if n > 0 {
			s.maxDeliveries = n
		}
	}
}

// WithStoreClock sets the clock a MemoryStore dates deliveries with. It is
// meant for tests; the default is [time.Now].
func WithStoreClock(now func() time.Time) MemoryStoreOption {
	return func(s *MemoryStore) { s.now = now }
}

// MemoryStore keeps users, organizations and memberships in memory, and
// remembers processed deliveries for deduplication. It implements every
// store interface of this package, is safe for concurrent use, and is what
// development servers, tests and small single-process services need; its
// contents are lost when the process ends.
//
// Deleted ids stay as tombstones holding only the time of the deletion.
// Memory is bounded by the live records, the tombstones, and the delivery
// ledger (see [WithMaxDeliveries]).
//
// The store keeps the *User, *Organization and *OrganizationMembership
// values it is given, their Raw data included, which their callers must
// not modify afterwards (the Handler never does); readers return copies.
type MemoryStore struct {
	now           func() time.Time
	retention     time.Duration
	maxDeliveries int
	claimTimeout  time.Duration

	mu          sync.Mutex
	users       map[string]memoryRecord[User]
	orgs        map[string]memoryRecord[Organization]
	memberships map[membershipKey]memoryRecord[OrganizationMembership]
	deliveries  map[string]deliveryState
	// claims counts the claims made, to give each its token.
	claims uint64
	// processed lists completed deliveries oldest first, from head on, so
	// that the oldest can be forgotten without scanning the map.
	processed []processedDelivery
	head      int
}

// memoryRecord is a stored record, or a tombstone when value is nil.
type memoryRecord[T any] struct {
	value     *T
	updatedAt UnixMilli
	deletedAt UnixMilli
}

type membershipKey struct{ org, user string }

func (k membershipKey) String() string { return k.user + " in " + k.org }

type deliveryState struct {
	claimedAt int64 // Unix nanoseconds
	// token is the claim's; "" for a delivery recorded by a DeliveryWriter
	// method.
	token string
	done  bool
}

type processedDelivery struct {
	id string
	at int64 // Unix nanoseconds
}

var (
	_ UserStore          = (*MemoryStore)(nil)
	_ UserReader         = (*MemoryStore)(nil)
	_ OrganizationStore  = (*MemoryStore)(nil)
	_ OrganizationReader = (*MemoryStore)(nil)
	_ MembershipStore    = (*MemoryStore)(nil)
	_ MembershipReader   = (*MemoryStore)(nil)
	_ Deduplicator       = (*MemoryStore)(nil)
	_ DeliveryWriter     = (*MemoryStore)(nil)
	_ ClaimTimeouter     = (*MemoryStore)(nil)
	_ NonBlockingStore   = (*MemoryStore)(nil)
)

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts ...MemoryStoreOption) *MemoryStore {
	s := &MemoryStore{
		now:           time.Now,
		retention:     DefaultDeliveryRetention,
		maxDeliveries: DefaultMaxDeliveries,
		claimTimeout:  DefaultClaimTimeout,
		users:         make(map[string]memoryRecord[User]),
		orgs:          make(map[string]memoryRecord[Organization]),
		memberships:   make(map[membershipKey]memoryRecord[OrganizationMembership]),
		deliveries:    make(map[string]deliveryState),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// UpsertUser implements [UserStore]. It returns an error matching
// [ErrStale] when it keeps a newer version or a tombstone.
func (s *MemoryStore) UpsertUser(ctx context.Context, u *User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upsertUserLocked(u)
}

func (s *MemoryStore) upsertUserLocked(u *User) error {
	if !upsertRecord(s.users, u.ID, u, u.UpdatedAt) {
		return ErrStale
	}
	return nil
}

// upsertRecord stores v under key unless a newer version or a tombstone is
// there, and reports whether it did.
func upsertRecord[K comparable, T any](m map[K]memoryRecord[T], key K, v *T, updatedAt UnixMilli) bool {
	if old, ok := m[key]; ok && (old.value == nil || old.updatedAt > updatedAt) {
		return false
	}
	m[key] = memoryRecord[T]{value: v, updatedAt: updatedAt}
	return true
}

// DeleteUser implements [UserStore].
func (s *MemoryStore) DeleteUser(ctx context.Context, id string, deletedAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteUserLocked(id, deletedAt)
	return nil
}

func (s *MemoryStore) deleteUserLocked(id string, deletedAt time.Time) {
	tombstone(s.users, id, deletedAt)
	s.deleteMembershipsLocked(func(k membershipKey) bool { return k.user == id })
}

// deleteMembershipsLocked removes the memberships whose key matches.
func (s *MemoryStore) deleteMembershipsLocked(match func(membershipKey) bool) {
	for k := range s.memberships {
		if match(k) {
			delete(s.memberships, k)
		}
	}
}

// tombstone replaces the record under key by a tombstone, keeping the
// earliest deletion time when there is one already.
func tombstone[K comparable, T any](m map[K]memoryRecord[T], key K, deletedAt time.Time) {
	at := UnixMilli(deletedAt.UnixMilli())
	if old, ok := m[key]; ok && old.value == nil && old.deletedAt <= at {
		return
	}
	m[key] = memoryRecord[T]{deletedAt: at}
}

// User implements [UserReader].
func (s *MemoryStore) User(ctx context.Context, id string) (*User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return readRecord(s, s.users, id, ErrUserNotFound)
}

// readRecord returns a copy of the live record under key, or an error
// matching notFound.
func readRecord[K comparable, T any](s *MemoryStore, m map[K]memoryRecord[T], key K, notFound error) (*T, error) {
	s.mu.Lock()
	r := m[key]
	s.mu.Unlock()
	if r.value == nil {
		return nil, fmt.Errorf("%w: %v", notFound, key)
	}
	return cloneJSON(r.value)
}

// UpsertOrganization implements [OrganizationStore]. It returns an error
// matching [ErrStale] when it keeps a newer version or a tombstone.
func (s *MemoryStore) UpsertOrganization(ctx context.Context, o *Organization) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !upsertRecord(s.orgs, o.ID, o, o.UpdatedAt) {
		return ErrStale
	}
	return nil
}

// DeleteOrganization implements [OrganizationStore]; it also removes the
// organization's memberships.
func (s *MemoryStore) DeleteOrganization(ctx context.Context, id string, deletedAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tombstone(s.orgs, id, deletedAt)
	s.deleteMembershipsLocked(func(k membershipKey) bool { return k.org == id })
	return nil
}

// Organization implements [OrganizationReader].
func (s *MemoryStore) Organization(ctx context.Context, id string) (*Organization, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return readRecord(s, s.orgs, id, ErrOrganizationNotFound)
}

// UpsertMembership implements [MembershipStore]. It returns an error
// matching [ErrStale] when it keeps a newer version, when the membership
// was deleted at or after m.UpdatedAt, or when its organization or user is
// deleted.
func (s *MemoryStore) UpsertMembership(ctx context.Context, m *OrganizationMembership) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if org, ok := s.orgs[m.OrganizationID()]; ok && org.value == nil {
		return ErrStale
	}
	if user, ok := s.users[m.UserID()]; ok && user.value == nil {
		return ErrStale
	}
	key := membershipKey{m.OrganizationID(), m.UserID()}
	if old, ok := s.memberships[key]; ok {
		if old.value == nil && old.deletedAt >= m.UpdatedAt || old.value != nil && old.updatedAt > m.UpdatedAt {
			return ErrStale
		}
	}
	s.memberships[key] = memoryRecord[OrganizationMembership]{value: m, updatedAt: m.UpdatedAt}
	return nil
}

// DeleteMembership implements [MembershipStore]. A deletion older than the
// stored membership's UpdatedAt (the user joined again after it) is
// ignored, with an error matching [ErrStale].
func (s *MemoryStore) DeleteMembership(ctx context.Context, organizationID, userID string, deletedAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	at := UnixMilli(deletedAt.UnixMilli())
	s.mu.Lock()
	defer s.mu.Unlock()
	key := membershipKey{organizationID, userID}
	old, ok := s.memberships[key]
	switch {
	case ok && old.value != nil && old.updatedAt > at:
		return ErrStale
	case ok && old.value == nil && old.deletedAt >= at:
	default:
		s.memberships[key] = memoryRecord[OrganizationMembership]{deletedAt: at}
	}
	return nil
}

// Membership implements [MembershipReader].
func (s *MemoryStore) Membership(ctx context.Context, organizationID, userID string) (*OrganizationMembership, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return readRecord(s, s.memberships, membershipKey{organizationID, userID}, ErrMembershipNotFound)
}

// ClaimDelivery implements [Deduplicator]. Its tokens count the store's
// claims.
func (s *MemoryStore) ClaimDelivery(ctx context.Context, deliveryID, eventType string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.claimLocked(deliveryID); err != nil {
		return "", err
	}
	s.claims++
	token := strconv.FormatUint(s.claims, 10)
	d := s.deliveries[deliveryID]
	d.token = token
	s.deliveries[deliveryID] = d
	return token, nil
}

func (s *MemoryStore) claimLocked(id string) error {
	now := s.now()
	s.forgetLocked(now)
	if d, ok := s.deliveries[id]; ok {
		if d.done {
			return fmt.Errorf("%w: %s", ErrDuplicateDelivery, id)
		}
		if now.Sub(time.Unix(0, d.claimedAt)) < s.claimTimeout {
			return fmt.Errorf("%w: %s", ErrDeliveryInProgress, id)
		}
	}
	s.deliveries[id] = deliveryState{claimedAt: now.UnixNano()}
	return nil
}

// CompleteDelivery implements [Deduplicator].
func (s *MemoryStore) CompleteDelivery(ctx context.Context, deliveryID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[deliveryID]
	switch {
	case !ok || d.token != token || token == "":
		return fmt.Errorf("%w: %s", ErrClaimLost, deliveryID)
	case d.done:
		return nil
	}
	s.completeLocked(deliveryID, token)
	return nil
}

func (s *MemoryStore) completeLocked(id, token string) {
	now := s.now()
	s.deliveries[id] = deliveryState{claimedAt: now.UnixNano(), token: token, done: true}
	s.processed = append(s.processed, processedDelivery{id: id, at: now.UnixNano()})
	s.forgetLocked(now)
}

// ReleaseDelivery implements [Deduplicator].
func (s *MemoryStore) ReleaseDelivery(ctx context.Context, deliveryID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.deliveries[deliveryID]; !ok || d.done || d.token != token || token == "" {
		return fmt.Errorf("%w: %s", ErrClaimLost, deliveryID)
	}
	delete(s.deliveries, deliveryID)
	return nil
}

// ClaimTimeout implements [ClaimTimeouter]: it is [DefaultClaimTimeout].
func (s *MemoryStore) ClaimTimeout() time.Duration { return s.claimTimeout }

// NonBlocking implements [NonBlockingStore]: it reports true, since the
// store only ever waits for its mutex, which no method holds for long.
func (s *MemoryStore) NonBlocking() bool { return true }

// forgetLocked drops the processed deliveries that are past their
// retention or over the bound.
func (s *MemoryStore) forgetLocked(now time.Time) {
	cutoff := now.Add(-s.retention).UnixNano()
	for s.head < len(s.processed) {
		p := s.processed[s.head]
		if p.at >= cutoff && len(s.processed)-s.head <= s.maxDeliveries {
			break
		}
		delete(s.deliveries, p.id)
		s.processed[s.head] = processedDelivery{}
		s.head++
	}
	// Reuse the slice once most of it is forgotten, so that it does not
	// grow without bound.
	if s.head > 1024 && s.head*2 > len(s.processed) {
		n := copy(s.processed, s.processed[s.head:])
		clear(s.processed[n:])
		s.processed = s.processed[:n]
		s.head = 0
	}
}

// UpsertUserDelivery implements [DeliveryWriter].
func (s *MemoryStore) UpsertUserDelivery(ctx context.Context, deliveryID, eventType string, u *User) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.claimLocked(deliveryID); err != nil {
		return err
	}
	err := s.upsertUserLocked(u)
	s.completeLocked(deliveryID, "")
	return err
}

// DeleteUserDelivery implements [DeliveryWriter].
func (s *MemoryStore) DeleteUserDelivery(ctx context.Context, deliveryID, eventType, userID string, deletedAt time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.claimLocked(deliveryID); err != nil {
		return err
	}
	s.deleteUserLocked(userID, deletedAt)
	s.completeLocked(deliveryID, "")
	return nil
}

// cloneJSON returns a deep copy of v, so that readers cannot modify what
// the store holds, Raw included, which the JSON of v leaves out.
func cloneJSON[T any](v *T) (*T, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("clerkhook: copying a stored record: %w", err)
	}
	var c T
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("clerkhook: copying a stored record: %w", err)
	}
	copyRaw(&c, v)
	return &c, nil
}

// UserLister is implemented by stores that can list the users they hold,
// which [WithReconcile] needs to find the users Clerk no longer has.
// UserIDs returns the ids of the stored users, in no particular order,
// without those that are deleted (tombstones).
type UserLister interface {
	UserIDs(ctx context.Context) ([]string, error)
}

var _ UserLister = (*MemoryStore)(nil)

// UserIDs implements [UserLister].
func (s *MemoryStore) UserIDs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.users))
	for id, r := range s.users {
		if r.value != nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
