package clerkhooktest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/clerkhook/clerkhook"
)

// record describes a kind of record that follows the rules of
// clerkhook.UserStore, users and organizations, so that one set of cases
// checks both.
type record[T any] struct {
	noun         string // "user"
	prefix       string // of ids: "user_"
	upsertName   string // the methods, for messages
	deleteName   string
	readName     string
	versionName  string
	notFound     error
	notFoundName string

	// version returns version v of the record with the given id, whose
	// fields that tell versions apart are a function of id and v alone.
	version func(id string, updatedAt clerkhook.UnixMilli, v int) *T
	fields  func(*T) recordFields
	upsert  func(h *harness, v *T) error
	remove  func(h *harness, id string, at time.Time) error
	// read is the store's full reader, and held its narrow reader, of this
	// kind of record; either is nil when the store lacks it.
	read func(h *harness, id string) (*T, error)
	held func(h *harness, id string) (Version, error)
}

func userRecord(c capabilities) *record[clerkhook.User] {
	r := &record[clerkhook.User]{
		noun:         "user",
		prefix:       "user_",
		upsertName:   "UpsertUser",
		deleteName:   "DeleteUser",
		readName:     "User",
		versionName:  "UserVersion",
		notFound:     clerkhook.ErrUserNotFound,
		notFoundName: "clerkhook.ErrUserNotFound",
		version:      userVersion,
		fields:       userFields,
		upsert:       func(h *harness, u *clerkhook.User) error { return h.s.UpsertUser(h.ctx, u) },
		remove:       func(h *harness, id string, at time.Time) error { return h.s.DeleteUser(h.ctx, id, at) },
	}
	if c.userReader {
		r.read = func(h *harness, id string) (*clerkhook.User, error) {
			return h.s.(clerkhook.UserReader).User(h.ctx, id)
		}
	}
	if c.userVersions {
		r.held = func(h *harness, id string) (Version, error) {
			return h.s.(UserVersionReader).UserVersion(h.ctx, id)
		}
	}
	return r
}

func organizationRecord(c capabilities) *record[clerkhook.Organization] {
	r := &record[clerkhook.Organization]{
		noun:         "organization",
		prefix:       "org_",
		upsertName:   "UpsertOrganization",
		deleteName:   "DeleteOrganization",
		readName:     "Organization",
		versionName:  "OrganizationVersion",
		notFound:     clerkhook.ErrOrganizationNotFound,
		notFoundName: "clerkhook.ErrOrganizationNotFound",
		version:      organizationVersion,
		fields:       organizationFields,
		upsert: func(h *harness, o *clerkhook.Organization) error {
			return h.s.(clerkhook.OrganizationStore).UpsertOrganization(h.ctx, o)
		},
		remove: func(h *harness, id string, at time.Time) error {
			return h.s.(clerkhook.OrganizationStore).DeleteOrganization(h.ctx, id, at)
		},
	}
	if c.organizationReader {
		r.read = func(h *harness, id string) (*clerkhook.Organization, error) {
			return h.s.(clerkhook.OrganizationReader).Organization(h.ctx, id)
		}
	}
	if c.organizationVersions {
		r.held = func(h *harness, id string) (Version, error) {
			return h.s.(OrganizationVersionReader).OrganizationVersion(h.ctx, id)
		}
	}
	return r
}

// recordCases returns the cases of the rules of clerkhook.UserStore.
func recordCases[T any](r *record[T]) []storeCase {
	cases := []storeCase{
		{"NewerReplacesOlder", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			v2 := r.version(id, h.at(2), 2)
			r.mustUpsert(h, v2)
			r.expect(h, v2)
		}},
		{"OlderDoesNotReplaceNewer", func(h *harness) {
			id := newID(r.prefix)
			v2 := r.version(id, h.at(2), 2)
			r.mustUpsert(h, v2)
			r.mustRefuse(h, r.version(id, h.at(1), 1))
			r.expect(h, v2)
		}},
		{"EqualUpdatedAtReplaces", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			again := r.version(id, h.at(1), 2)
			r.mustUpsert(h, again)
			r.expect(h, again)
		}},
		{"NewestWinsInAnyOrder", func(h *harness) {
			for _, order := range [][]int{{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}} {
				id := newID(r.prefix)
				var newest *T
				stored := 0
				for _, v := range order {
					version := r.version(id, h.at(v), v)
					if v < stored {
						r.mustRefuse(h, version)
						continue
					}
					r.mustUpsert(h, version)
					newest, stored = version, v
				}
				r.expect(h, newest)
			}
		}},
		{"RepeatedUpsert", func(h *harness) {
			id := newID(r.prefix)
			v2 := r.version(id, h.at(2), 2)
			r.mustUpsert(h, v2)
			r.mustKeep(h, v2)
			r.expect(h, v2)
			r.mustRefuse(h, r.version(id, h.at(1), 1))
			r.expect(h, v2)
			r.mustKeep(h, v2)
			r.expect(h, v2)
		}},
	}
	if r.read != nil || r.held != nil {
		cases = append(cases, storeCase{"UnknownIsNotFound", func(h *harness) {
			r.expectUnknown(h, newID(r.prefix))
		}})
	}
	return append(cases,
		storeCase{"DeleteHides", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			r.mustDelete(h, id, 2)
			r.expectDeleted(h, id)
		}},
		storeCase{"NoUpsertRevivesDeleted", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			r.mustDelete(h, id, 3)
			r.mustRefuse(h, r.version(id, h.at(2), 2))
			r.mustRefuse(h, r.version(id, h.at(4), 4))
			r.expectDeleted(h, id)
		}},
		storeCase{"DeleteUnknownRefusesUpsert", func(h *harness) {
			id := newID(r.prefix)
			r.mustDelete(h, id, 2)
			r.mustRefuse(h, r.version(id, h.at(1), 1))
			r.mustRefuse(h, r.version(id, h.at(3), 3))
			r.expectDeleted(h, id)
		}},
		storeCase{"RepeatedDelete", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			r.mustDelete(h, id, 2)
			r.mustDelete(h, id, 2)
			r.mustDelete(h, id, 3)
			r.expectDeleted(h, id)
			r.mustRefuse(h, r.version(id, h.at(4), 4))
			r.expectDeleted(h, id)
		}},
		storeCase{"ConcurrentUpserts", r.concurrentUpserts},
		storeCase{"ConcurrentUpsertsAndDelete", r.concurrentUpsertsAndDelete},
	)
}

// concurrentWriters is how many goroutines write at once in the
// concurrency cases: enough to interleave, few enough for a database's
// connection pool.
const concurrentWriters = 8

// concurrentRounds is how many times a concurrency case races its writers,
// over fresh ids each time. A racy guard (one that reads the stored
// version, then writes, with neither a lock nor a guarded statement in
// between) loses an update in most rounds, but by chance not in every one.
const concurrentRounds = 10

// concurrentUpserts has writers upsert distinct versions of a few ids at
// once, and checks that the newest versions are left.
func (r *record[T]) concurrentUpserts(h *harness) {
	raceNewest(h, func() []*T {
		id := newID(r.prefix)
		versions := make([]*T, concurrentWriters)
		for v := range versions {
			versions[v] = r.version(id, h.at(v+1), v+1)
		}
		return versions
	}, func(v *T) bool { return r.tryUpsert(h, v) }, func(v *T) { r.expect(h, v) })
}

// raceNewest has writers upsert, with try, versions of a few records at
// once, each writer one version of each record, and checks with expect
// that the newest versions are left. versionsOf returns the versions of a
// new record, one per writer, oldest first. Each version is written once,
// so an older version that a racy guard let overwrite a newer one is never
// overwritten again.
func raceNewest[T any](h *harness, versionsOf func() []*T, try func(*T) bool, expect func(*T)) {
	h.t.Helper()
	const records = 3
	for round := range concurrentRounds {
		all := make([][]*T, records)
		// byWriter[w] holds the version writer w upserts of each record:
		// which writer holds the newest differs between records and
		// rounds, so that it is not always the one the scheduler runs last.
		byWriter := make([][]*T, concurrentWriters)
		for i := range all {
			all[i] = versionsOf()
			for w, v := range shuffled(all[i], round*records+i) {
				byWriter[w] = append(byWriter[w], v)
			}
		}
		for w := range byWriter {
			byWriter[w] = shuffled(byWriter[w], w)
		}
		h.race(records, func(w, k int) bool { return try(byWriter[w][k]) }, nil)
		for _, versions := range all {
			expect(versions[len(versions)-1])
		}
	}
}

// concurrentUpsertsAndDelete has writers upsert versions of an id while
// another deletes it, and checks that it stays deleted.
func (r *record[T]) concurrentUpsertsAndDelete(h *harness) {
	const versions = 5
	for range concurrentRounds {
		id := newID(r.prefix)
		all := make([]*T, versions)
		for v := range all {
			all[v] = r.version(id, h.at(v+1), v+1)
		}
		orders := make([][]*T, concurrentWriters)
		for w := range orders {
			orders[w] = shuffled(all, w)
		}
		h.race(versions, func(w, k int) bool { return r.tryUpsert(h, orders[w][k]) }, func() {
			if err := r.remove(h, id, h.time(3)); err != nil {
				h.t.Errorf("%s(%s, T+3s) concurrent with upserts = %v; want nil", r.deleteName, id, err)
			}
		})
		r.expectDeleted(h, id)
		r.mustRefuse(h, r.version(id, h.at(versions+1), versions+1))
		r.expectDeleted(h, id)
	}
}

// race has concurrentWriters writers make n writes each at once, write(w,
// k) being the k-th of writer w, which reports false to stop the writer;
// and calls remove, when not nil, once a first write has returned, so that
// it lands while the others are under way. It stops the subtest when a
// writer or remove reported an error.
func (h *harness) race(n int, write func(w, k int) bool, remove func()) {
	h.t.Helper()
	start, written := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range concurrentWriters {
		wg.Go(func() {
			<-start
			for k := range n {
				ok := write(w, k)
				once.Do(func() { close(written) })
				if !ok {
					return
				}
			}
		})
	}
	if remove != nil {
		wg.Go(func() {
			<-written
			remove()
		})
	}
	close(start)
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
}

// shuffled returns a copy of s in an order given by seed, so that a
// failure shows the same orders when run again.
func shuffled[E any](s []E, seed int) []E {
	s = slices.Clone(s)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x636c65726b))
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

func (r *record[T]) describe(h *harness, v *T) string {
	f := r.fields(v)
	return fmt.Sprintf("%s updated at %s", f.key[0].value, h.offset(f.updatedAt))
}

// mustUpsert applies v, which the store must accept.
func (r *record[T]) mustUpsert(h *harness, v *T) {
	h.t.Helper()
	if err := r.upsert(h, v); err != nil {
		h.t.Fatalf("%s(%s) = %v; want nil, as no newer version or deletion is stored", r.upsertName, r.describe(h, v), err)
	}
}

// mustRefuse applies v, which the store must refuse, returning nil or
// ErrStale; expect checks afterwards that it did refuse it.
func (r *record[T]) mustRefuse(h *harness, v *T) {
	h.t.Helper()
	if err := r.upsert(h, v); err != nil && !errors.Is(err, clerkhook.ErrStale) {
		h.t.Fatalf("%s(%s) = %v; want nil or an error matching clerkhook.ErrStale, as a newer version or a deletion is stored", r.upsertName, r.describe(h, v), err)
	}
}

// mustKeep applies v again, which the store may apply or refuse as it
// holds the same version already.
func (r *record[T]) mustKeep(h *harness, v *T) {
	h.t.Helper()
	if err := r.upsert(h, v); err != nil && !errors.Is(err, clerkhook.ErrStale) {
		h.t.Fatalf("%s(%s) again = %v; want nil or an error matching clerkhook.ErrStale", r.upsertName, r.describe(h, v), err)
	}
}

// tryUpsert applies v from a goroutine, where the store may apply or
// refuse it; it reports false after an unexpected error.
func (r *record[T]) tryUpsert(h *harness, v *T) bool {
	if err := r.upsert(h, v); err != nil && !errors.Is(err, clerkhook.ErrStale) {
		h.t.Errorf("concurrent %s(%s) = %v; want nil or an error matching clerkhook.ErrStale", r.upsertName, r.describe(h, v), err)
		return false
	}
	return true
}

func (r *record[T]) mustDelete(h *harness, id string, at int) {
	h.t.Helper()
	if err := r.remove(h, id, h.time(at)); err != nil {
		h.t.Fatalf("%s(%s, T%+ds) = %v; want nil", r.deleteName, id, at, err)
	}
}

// expect checks that the store holds want: its full reader returns want,
// or at least the fields of want that it keeps, and its narrow reader
// reports want's version.
func (r *record[T]) expect(h *harness, want *T) {
	h.t.Helper()
	wf := r.fields(want)
	id := wf.key[0].value
	if r.read != nil {
		got, err := r.read(h, id)
		if err != nil {
			h.t.Fatalf("%s(%s) = %v; want the version updated at %s", r.readName, id, err, h.offset(wf.updatedAt))
		}
		if got == nil {
			h.t.Fatalf("%s(%s) returned nil and no error; want the version updated at %s", r.readName, id, h.offset(wf.updatedAt))
		}
		if problems := compare(h, r.fields(got), wf); problems != "" {
			h.t.Fatalf("%s(%s) returned another version than the one updated at %s:%s", r.readName, id, h.offset(wf.updatedAt), problems)
		}
	}
	if r.held != nil {
		r.reading(h, id).live(h, wf.updatedAt)
	}
}

// expectDeleted checks that the store holds the record id as deleted: its
// full reader does not find it, and its narrow reader reports a tombstone.
func (r *record[T]) expectDeleted(h *harness, id string) {
	h.t.Helper()
	r.expectNotFound(h, id)
	if r.held != nil {
		r.reading(h, id).deleted(h, false)
	}
}

// expectUnknown checks that the store holds nothing of the record id.
func (r *record[T]) expectUnknown(h *harness, id string) {
	h.t.Helper()
	r.expectNotFound(h, id)
	if r.held != nil {
		r.reading(h, id).unknown(h)
	}
}

// expectNotFound checks that the full reader, if any, does not return the
// record id.
func (r *record[T]) expectNotFound(h *harness, id string) {
	h.t.Helper()
	if r.read == nil {
		return
	}
	got, err := r.read(h, id)
	switch {
	case err == nil && got == nil:
		h.t.Fatalf("%s(%s) returned nil and no error; want an error matching %s", r.readName, id, r.notFoundName)
	case err == nil:
		h.t.Fatalf("%s(%s) returned the %s updated at %s; want an error matching %s", r.readName, id, r.noun, h.offset(r.fields(got).updatedAt), r.notFoundName)
	case !errors.Is(err, r.notFound):
		h.t.Fatalf("%s(%s) = %v; want an error matching %s", r.readName, id, err, r.notFoundName)
	}
}

// exists reports whether the store holds the record id live, by each of
// its readers, which must agree.
func (r *record[T]) exists(h *harness, id string) bool {
	h.t.Helper()
	var found []bool
	if r.read != nil {
		_, err := r.read(h, id)
		if err != nil && !errors.Is(err, r.notFound) {
			h.t.Fatalf("%s(%s) = %v; want a %s or an error matching %s", r.readName, id, err, r.noun, r.notFoundName)
		}
		found = append(found, err == nil)
	}
	if r.held != nil {
		x := r.reading(h, id)
		if x.err != nil && !errors.Is(x.err, r.notFound) {
			h.t.Fatalf("%s = %v; want a version or an error matching %s", x.call, x.err, r.notFoundName)
		}
		found = append(found, x.err == nil && !x.v.Deleted)
	}
	if len(found) == 2 && found[0] != found[1] {
		h.t.Fatalf("%s(%s) and %s(%s) disagree on whether the %s is live", r.readName, id, r.versionName, id, r.noun)
	}
	return len(found) > 0 && found[0]
}

// reading returns what the narrow reader holds of the record id.
func (r *record[T]) reading(h *harness, id string) reading {
	v, err := r.held(h, id)
	return reading{call: r.versionName + "(" + id + ")", noun: r.noun, notFound: r.notFound, notFoundName: r.notFoundName, v: v, err: err}
}

// reading is a call of a narrow reader and what it returned, with what
// its messages need: the kind of record, and its error for an unknown one.
type reading struct {
	call, noun   string
	notFound     error
	notFoundName string
	v            Version
	err          error
}

// live checks that the reader reported the live version updated at want.
func (x reading) live(h *harness, want clerkhook.UnixMilli) {
	h.t.Helper()
	switch {
	case x.err != nil:
		h.t.Fatalf("%s = %v; want the version updated at %s", x.call, x.err, h.offset(want))
	case x.v.Deleted:
		h.t.Fatalf("%s reports the %s deleted; want the version updated at %s", x.call, x.noun, h.offset(want))
	case x.v.UpdatedAt != want:
		h.t.Fatalf("%s reports the version updated at %s; want the one updated at %s", x.call, h.offset(x.v.UpdatedAt), h.offset(want))
	}
}

// deleted checks that the reader reported a tombstone or, with orUnknown,
// a tombstone or nothing.
func (x reading) deleted(h *harness, orUnknown bool) {
	h.t.Helper()
	unknown := x.err != nil && errors.Is(x.err, x.notFound)
	switch {
	case unknown && orUnknown:
	case unknown:
		h.t.Fatalf("%s = %v; want the %s deleted: a deletion leaves a tombstone, which refuses later upserts", x.call, x.err, x.noun)
	case x.err != nil && orUnknown:
		h.t.Fatalf("%s = %v; want the %s deleted, or an error matching %s", x.call, x.err, x.noun, x.notFoundName)
	case x.err != nil:
		h.t.Fatalf("%s = %v; want the %s deleted", x.call, x.err, x.noun)
	case !x.v.Deleted:
		h.t.Fatalf("%s reports the live version updated at %s; want the %s deleted", x.call, h.offset(x.v.UpdatedAt), x.noun)
	}
}

// unknown checks that the reader reported nothing held, with an error
// matching the kind's.
func (x reading) unknown(h *harness) {
	h.t.Helper()
	switch {
	case x.err != nil && !errors.Is(x.err, x.notFound):
		h.t.Fatalf("%s = %v; want an error matching %s", x.call, x.err, x.notFoundName)
	case x.err != nil:
	case x.v.Deleted:
		h.t.Fatalf("%s reports the %s deleted; want an error matching %s, as it was never stored", x.call, x.noun, x.notFoundName)
	default:
		h.t.Fatalf("%s reports the version updated at %s; want an error matching %s, as it was never stored", x.call, h.offset(x.v.UpdatedAt), x.notFoundName)
	}
}

// offset formats m as an offset from the base time of the subtest, such
// as "T+2s", the form the messages of the suite give times in.
func (h *harness) offset(m clerkhook.UnixMilli) string {
	d := m.Time().Sub(h.base)
	if d < 0 {
		return "T-" + (-d).String()
	}
	return "T+" + d.String()
}
