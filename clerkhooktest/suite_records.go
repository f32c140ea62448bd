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
	notFound     error
	notFoundName string

	// version returns version v of the record with the given id, whose
	// fields that tell versions apart are a function of id and v alone.
	version func(id string, updatedAt clerkhook.UnixMilli, v int) *T
	fields  func(*T) recordFields
	upsert  func(h *harness, v *T) error
	remove  func(h *harness, id string, at time.Time) error
	// read is nil when the store has no reader for this kind of record.
	read func(h *harness, id string) (*T, error)
}

func userRecord() *record[clerkhook.User] {
	return &record[clerkhook.User]{
		noun:         "user",
		prefix:       "user_",
		upsertName:   "UpsertUser",
		deleteName:   "DeleteUser",
		readName:     "User",
		notFound:     clerkhook.ErrUserNotFound,
		notFoundName: "clerkhook.ErrUserNotFound",
		version:      userVersion,
		fields:       userFields,
		upsert:       func(h *harness, u *clerkhook.User) error { return h.s.UpsertUser(h.ctx, u) },
		remove:       func(h *harness, id string, at time.Time) error { return h.s.DeleteUser(h.ctx, id, at) },
		read:         func(h *harness, id string) (*clerkhook.User, error) { return h.s.User(h.ctx, id) },
	}
}

func organizationRecord(withReader bool) *record[clerkhook.Organization] {
	r := &record[clerkhook.Organization]{
		noun:         "organization",
		prefix:       "org_",
		upsertName:   "UpsertOrganization",
		deleteName:   "DeleteOrganization",
		readName:     "Organization",
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
	if withReader {
		r.read = func(h *harness, id string) (*clerkhook.Organization, error) {
			return h.s.(clerkhook.OrganizationReader).Organization(h.ctx, id)
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
	if r.read != nil {
		cases = append(cases, storeCase{"UnknownIsNotFound", func(h *harness) {
			r.expectGone(h, newID(r.prefix))
		}})
	}
	return append(cases,
		storeCase{"DeleteHides", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			r.mustDelete(h, id, 2)
			r.expectGone(h, id)
		}},
		storeCase{"NoUpsertRevivesDeleted", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			r.mustDelete(h, id, 3)
			r.mustRefuse(h, r.version(id, h.at(2), 2))
			r.mustRefuse(h, r.version(id, h.at(4), 4))
			r.expectGone(h, id)
		}},
		storeCase{"DeleteUnknownRefusesUpsert", func(h *harness) {
			id := newID(r.prefix)
			r.mustDelete(h, id, 2)
			r.mustRefuse(h, r.version(id, h.at(1), 1))
			r.mustRefuse(h, r.version(id, h.at(3), 3))
			r.expectGone(h, id)
		}},
		storeCase{"RepeatedDelete", func(h *harness) {
			id := newID(r.prefix)
			r.mustUpsert(h, r.version(id, h.at(1), 1))
			r.mustDelete(h, id, 2)
			r.mustDelete(h, id, 2)
			r.mustDelete(h, id, 3)
			r.expectGone(h, id)
			r.mustRefuse(h, r.version(id, h.at(4), 4))
			r.expectGone(h, id)
		}},
		storeCase{"ConcurrentUpserts", r.concurrentUpserts},
		storeCase{"ConcurrentUpsertsAndDelete", r.concurrentUpsertsAndDelete},
	)
}

// concurrentWriters is how many goroutines write at once in the
// concurrency cases: enough to interleave, few enough for a database's
// connection pool.
const concurrentWriters = 8

// concurrentUpserts has writers upsert every version of a few ids, each in
// an order of its own, and checks that the newest versions are left.
func (r *record[T]) concurrentUpserts(h *harness) {
	const ids, versions = 4, 5
	all := make([][]*T, ids)
	type write struct{ id, v int }
	var writes []write
	for i := range all {
		id := newID(r.prefix)
		all[i] = make([]*T, versions)
		for v := range versions {
			all[i][v] = r.version(id, h.at(v+1), v+1)
			writes = append(writes, write{i, v})
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range concurrentWriters {
		order := shuffled(writes, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, x := range order {
				if !r.tryUpsert(h, all[x.id][x.v]) {
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
	for i := range all {
		r.expect(h, all[i][versions-1])
	}
}

// concurrentUpsertsAndDelete has writers upsert versions of an id while
// another deletes it, and checks that it stays deleted.
func (r *record[T]) concurrentUpsertsAndDelete(h *harness) {
	const versions = 5
	id := newID(r.prefix)
	all := make([]*T, versions)
	for v := range all {
		all[v] = r.version(id, h.at(v+1), v+1)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range concurrentWriters {
		order := shuffled(all, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, v := range order {
				if !r.tryUpsert(h, v) {
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		if err := r.remove(h, id, h.time(3)); err != nil {
			h.t.Errorf("%s(%s, T+3s) concurrent with upserts = %v; want nil", r.deleteName, id, err)
		}
	}()
	close(start)
	wg.Wait()
	if h.t.Failed() {
		h.t.FailNow()
	}
	r.expectGone(h, id)
	r.mustRefuse(h, r.version(id, h.at(versions+1), versions+1))
	r.expectGone(h, id)
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

// expect checks that the store returns want, or at least the fields of
// want that it keeps.
func (r *record[T]) expect(h *harness, want *T) {
	h.t.Helper()
	if r.read == nil {
		return
	}
	wf := r.fields(want)
	id := wf.key[0].value
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

// expectGone checks that the store does not return the record id.
func (r *record[T]) expectGone(h *harness, id string) {
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

// offset formats m as an offset from the base time of the subtest, such
// as "T+2s", the form the messages of the suite give times in.
func (h *harness) offset(m clerkhook.UnixMilli) string {
	d := m.Time().Sub(h.base)
	if d < 0 {
		return "T-" + (-d).String()
	}
	return "T+" + d.String()
}
