package clerkhooktest

import (
	"errors"
	"sync"

	"github.com/clerkhook/clerkhook"
)

// deduplicatorCases returns the cases of the rules of
// clerkhook.Deduplicator.
func deduplicatorCases() []storeCase {
	return []storeCase{
		{"CompletedIsDuplicate", func(h *harness) {
			id := newDeliveryID()
			h.mustClaim(id)
			h.mustComplete(id)
			h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the delivery was completed")
		}},
		{"ClaimedIsInProgress", func(h *harness) {
			id := newDeliveryID()
			h.mustClaim(id)
			h.claimFails(id, clerkhook.ErrDeliveryInProgress, "the delivery is claimed")
		}},
		{"ReleasedCanBeClaimed", func(h *harness) {
			id := newDeliveryID()
			h.mustClaim(id)
			h.mustRelease(id)
			h.mustClaim(id)
			h.mustComplete(id)
			h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the delivery was completed")
		}},
		{"DeliveriesAreIndependent", func(h *harness) {
			first, second := newDeliveryID(), newDeliveryID()
			h.mustClaim(first)
			h.mustClaim(second)
			h.mustComplete(first)
			h.claimFails(second, clerkhook.ErrDeliveryInProgress, "the delivery is claimed")
			h.mustRelease(second)
			h.mustClaim(second)
		}},
		{"ConcurrentClaimsOneWins", func(h *harness) {
			id := newDeliveryID()
			errs := concurrently(func(int) error {
				return h.s.(clerkhook.Deduplicator).ClaimDelivery(h.ctx, id, clerkhook.EventUserCreated)
			})
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, clerkhook.ErrDeliveryInProgress):
					h.t.Errorf("concurrent ClaimDelivery(%s) = %v; want nil or an error matching clerkhook.ErrDeliveryInProgress", id, err)
				}
			}
			if won != 1 {
				h.t.Errorf("%d of %d concurrent ClaimDelivery(%s) succeeded; want exactly 1", won, len(errs), id)
			}
		}},
	}
}

// deliveryWriterCases returns the cases of the rules of
// clerkhook.DeliveryWriter; some need a Deduplicator too.
func deliveryWriterCases(withDeduplicator bool) []storeCase {
	users := userRecord()
	cases := []storeCase{
		{"UpsertAppliesAndRecords", func(h *harness) {
			d, id := newDeliveryID(), newID("user_")
			v1 := userVersion(id, h.at(1), 1)
			h.mustUpsertDelivery(d, v1)
			users.expect(h, v1)
			h.writeFails(h.upsertDelivery(d, userVersion(id, h.at(2), 2)), "UpsertUserDelivery of a processed delivery "+d, clerkhook.ErrDuplicateDelivery)
			users.expect(h, v1)
			if withDeduplicator {
				h.claimFails(d, clerkhook.ErrDuplicateDelivery, "UpsertUserDelivery recorded the delivery")
			}
		}},
		{"DeleteAppliesAndRecords", func(h *harness) {
			d := newDeliveryID()
			gone, kept := userVersion(newID("user_"), h.at(1), 1), userVersion(newID("user_"), h.at(1), 1)
			users.mustUpsert(h, gone)
			users.mustUpsert(h, kept)
			h.mustDeleteDelivery(d, gone.ID, 2)
			users.expectGone(h, gone.ID)
			users.mustRefuse(h, userVersion(gone.ID, h.at(3), 3))
			users.expectGone(h, gone.ID)
			h.writeFails(h.deleteDelivery(d, kept.ID, 2), "DeleteUserDelivery of a processed delivery "+d, clerkhook.ErrDuplicateDelivery)
			users.expect(h, kept)
			if withDeduplicator {
				h.claimFails(d, clerkhook.ErrDuplicateDelivery, "DeleteUserDelivery recorded the delivery")
			}
		}},
		{"StaleUpsertRecorded", func(h *harness) {
			id := newID("user_")
			v2 := userVersion(id, h.at(2), 2)
			users.mustUpsert(h, v2)
			d := newDeliveryID()
			if err := h.upsertDelivery(d, userVersion(id, h.at(1), 1)); err != nil && !errors.Is(err, clerkhook.ErrStale) {
				h.t.Fatalf("UpsertUserDelivery(%s, %s updated at T+1s) = %v; want nil or an error matching clerkhook.ErrStale", d, id, err)
			}
			users.expect(h, v2)
			h.writeFails(h.upsertDelivery(d, userVersion(id, h.at(1), 1)), "UpsertUserDelivery of a processed delivery "+d, clerkhook.ErrDuplicateDelivery)
		}},
		{"UpsertAfterDeleteRefused", func(h *harness) {
			id := newID("user_")
			users.mustDelete(h, id, 2)
			if err := h.upsertDelivery(newDeliveryID(), userVersion(id, h.at(3), 3)); err != nil && !errors.Is(err, clerkhook.ErrStale) {
				h.t.Fatalf("UpsertUserDelivery(%s updated at T+3s) after DeleteUser = %v; want nil or an error matching clerkhook.ErrStale", id, err)
			}
			users.expectGone(h, id)
		}},
		{"ConcurrentUpsertsApplyOnce", func(h *harness) {
			d := newDeliveryID()
			all := make([]*clerkhook.User, concurrentWriters)
			for i := range all {
				all[i] = userVersion(newID("user_"), h.at(1), 1)
			}
			errs := concurrently(func(i int) error { return h.upsertDelivery(d, all[i]) })
			h.checkAppliedOnce(errs, "UpsertUserDelivery", d)
			stored := 0
			for _, u := range all {
				if h.userExists(u.ID) {
					stored++
				}
			}
			if stored != 1 {
				h.t.Errorf("concurrent UpsertUserDelivery(%s) of %d users stored %d; want 1", d, len(all), stored)
			}
		}},
		{"ConcurrentDeletesApplyOnce", func(h *harness) {
			d := newDeliveryID()
			all := make([]string, concurrentWriters)
			for i := range all {
				u := userVersion(newID("user_"), h.at(1), 1)
				users.mustUpsert(h, u)
				all[i] = u.ID
			}
			errs := concurrently(func(i int) error { return h.deleteDelivery(d, all[i], 2) })
			h.checkAppliedOnce(errs, "DeleteUserDelivery", d)
			deleted := 0
			for _, id := range all {
				if !h.userExists(id) {
					deleted++
				}
			}
			if deleted != 1 {
				h.t.Errorf("concurrent DeleteUserDelivery(%s) of %d users deleted %d; want 1", d, len(all), deleted)
			}
		}},
	}
	if !withDeduplicator {
		return cases
	}
	return append(cases, storeCase{"ClaimedDeliveryWritesNothing", func(h *harness) {
		d := newDeliveryID()
		h.mustClaim(d)
		u := userVersion(newID("user_"), h.at(1), 1)
		h.writeFails(h.upsertDelivery(d, u), "UpsertUserDelivery of a claimed delivery "+d, clerkhook.ErrDeliveryInProgress)
		users.expectGone(h, u.ID)
		kept := userVersion(newID("user_"), h.at(1), 1)
		users.mustUpsert(h, kept)
		h.writeFails(h.deleteDelivery(d, kept.ID, 2), "DeleteUserDelivery of a claimed delivery "+d, clerkhook.ErrDeliveryInProgress)
		users.expect(h, kept)
	}})
}

// concurrently calls fn(i) from concurrentWriters goroutines at once, i
// counting from 0, and returns their results.
func concurrently(fn func(i int) error) []error {
	errs := make([]error, concurrentWriters)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func (h *harness) mustClaim(id string) {
	h.t.Helper()
	if err := h.s.(clerkhook.Deduplicator).ClaimDelivery(h.ctx, id, clerkhook.EventUserCreated); err != nil {
		h.t.Fatalf("ClaimDelivery(%s) = %v; want nil", id, err)
	}
}

func (h *harness) mustComplete(id string) {
	h.t.Helper()
	if err := h.s.(clerkhook.Deduplicator).CompleteDelivery(h.ctx, id); err != nil {
		h.t.Fatalf("CompleteDelivery(%s) = %v; want nil", id, err)
	}
}

func (h *harness) mustRelease(id string) {
	h.t.Helper()
	if err := h.s.(clerkhook.Deduplicator).ReleaseDelivery(h.ctx, id); err != nil {
		h.t.Fatalf("ReleaseDelivery(%s) = %v; want nil", id, err)
	}
}

// claimFails checks that claiming id fails with an error matching want,
// for the reason why.
func (h *harness) claimFails(id string, want error, why string) {
	h.t.Helper()
	if err := h.s.(clerkhook.Deduplicator).ClaimDelivery(h.ctx, id, clerkhook.EventUserCreated); !errors.Is(err, want) {
		h.t.Fatalf("ClaimDelivery(%s) = %v; want an error matching %s, as %s", id, err, sentinelName(want), why)
	}
}

func (h *harness) upsertDelivery(d string, u *clerkhook.User) error {
	return h.s.(clerkhook.DeliveryWriter).UpsertUserDelivery(h.ctx, d, clerkhook.EventUserUpdated, u)
}

func (h *harness) deleteDelivery(d, userID string, at int) error {
	return h.s.(clerkhook.DeliveryWriter).DeleteUserDelivery(h.ctx, d, clerkhook.EventUserDeleted, userID, h.time(at))
}

func (h *harness) mustUpsertDelivery(d string, u *clerkhook.User) {
	h.t.Helper()
	if err := h.upsertDelivery(d, u); err != nil {
		h.t.Fatalf("UpsertUserDelivery(%s, %s updated at %s) = %v; want nil", d, u.ID, h.offset(u.UpdatedAt), err)
	}
}

func (h *harness) mustDeleteDelivery(d, userID string, at int) {
	h.t.Helper()
	if err := h.deleteDelivery(d, userID, at); err != nil {
		h.t.Fatalf("DeleteUserDelivery(%s, %s, T%+ds) = %v; want nil", d, userID, at, err)
	}
}

// writeFails checks that call, a write of a delivery already processed
// or claimed, was refused with an error matching want.
func (h *harness) writeFails(err error, call string, want error) {
	h.t.Helper()
	if !errors.Is(err, want) {
		h.t.Fatalf("%s = %v; want an error matching %s", call, err, sentinelName(want))
	}
}

// sentinelName returns the Go name of a sentinel error of the deliveries.
func sentinelName(err error) string {
	if err == clerkhook.ErrDuplicateDelivery {
		return "clerkhook.ErrDuplicateDelivery"
	}
	return "clerkhook.ErrDeliveryInProgress"
}

// checkAppliedOnce checks the results of concurrent writes of the same
// delivery: one succeeds, the others find it processed or in progress.
func (h *harness) checkAppliedOnce(errs []error, method, d string) {
	h.t.Helper()
	applied := 0
	for _, err := range errs {
		switch {
		case err == nil:
			applied++
		case !errors.Is(err, clerkhook.ErrDuplicateDelivery) && !errors.Is(err, clerkhook.ErrDeliveryInProgress):
			h.t.Errorf("concurrent %s(%s) = %v; want nil or an error matching clerkhook.ErrDuplicateDelivery or clerkhook.ErrDeliveryInProgress", method, d, err)
		}
	}
	if applied != 1 {
		h.t.Errorf("%d of %d concurrent %s(%s) succeeded; want exactly 1", applied, len(errs), method, d)
	}
}

// userExists reports whether the store returns the user id.
func (h *harness) userExists(id string) bool {
	h.t.Helper()
	_, err := h.s.User(h.ctx, id)
	if err != nil && !errors.Is(err, clerkhook.ErrUserNotFound) {
		h.t.Fatalf("User(%s) = %v; want a user or an error matching clerkhook.ErrUserNotFound", id, err)
	}
	return err == nil
}
