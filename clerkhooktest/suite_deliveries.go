package clerkhooktest

import (
	"errors"
	"sync"

	"github.com/clerkhook/clerkhook"
)

// deduplicatorCases returns the cases of the rules of
// clerkhook.Deduplicator; with lapser, also those of claims that lapse.
func deduplicatorCases(lapser bool) []storeCase {
	cases := []storeCase{
		{"CompletedIsDuplicate", func(h *harness) {
			id := newDeliveryID()
			h.mustComplete(id, h.mustClaim(id))
			h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the delivery was completed")
		}},
		{"CompleteTwice", func(h *harness) {
			id := newDeliveryID()
			token := h.mustClaim(id)
			h.mustComplete(id, token)
			h.mustComplete(id, token)
			h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the delivery was completed")
		}},
		{"ClaimedIsInProgress", func(h *harness) {
			id := newDeliveryID()
			h.mustClaim(id)
			h.claimFails(id, clerkhook.ErrDeliveryInProgress, "the delivery is claimed")
		}},
		{"ReleasedCanBeClaimed", func(h *harness) {
			id := newDeliveryID()
			h.mustRelease(id, h.mustClaim(id))
			h.mustComplete(id, h.mustClaim(id))
			h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the delivery was completed")
		}},
		{"TokensAreUnique", func(h *harness) {
			id := newDeliveryID()
			seen := map[string]bool{}
			for range 3 {
				token := h.mustClaim(id)
				if seen[token] {
					h.t.Fatalf("ClaimDelivery(%s) returned the token %q of an earlier claim; want a new one for each claim", id, token)
				}
				seen[token] = true
				h.mustRelease(id, token)
			}
			other := h.mustClaim(newDeliveryID())
			if seen[other] {
				h.t.Fatalf("ClaimDelivery of another delivery returned the token %q of a claim of %s; want a new one for each claim", other, id)
			}
		}},
		{"ReleasedTokenChangesNothing", func(h *harness) {
			// The token of a claim that was given up no longer holds the
			// delivery, as that of a claim that lapsed and was taken over.
			id := newDeliveryID()
			old := h.mustClaim(id)
			h.mustRelease(id, old)
			current := h.mustClaim(id)
			h.lost(h.release(id, old), "ReleaseDelivery", id, "a released claim")
			h.claimFails(id, clerkhook.ErrDeliveryInProgress, "ReleaseDelivery with a released claim's token must not free the current claim")
			h.lost(h.complete(id, old), "CompleteDelivery", id, "a released claim")
			h.claimFails(id, clerkhook.ErrDeliveryInProgress, "CompleteDelivery with a released claim's token must not finish the current claim")
			h.mustComplete(id, current)
			h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the current claim was completed")
		}},
		{"ForeignTokenChangesNothing", func(h *harness) {
			id, other := newDeliveryID(), newDeliveryID()
			token := h.mustClaim(id)
			foreign := h.mustClaim(other)
			h.lost(h.release(id, foreign), "ReleaseDelivery", id, "a claim of another delivery")
			h.lost(h.complete(id, foreign), "CompleteDelivery", id, "a claim of another delivery")
			h.lost(h.complete(id, "not-a-token"), "CompleteDelivery", id, "a token the store never made")
			h.claimFails(id, clerkhook.ErrDeliveryInProgress, "no other token may free or finish the claim")
			h.mustRelease(id, token)
			h.mustClaim(id)
		}},
		{"DeliveriesAreIndependent", func(h *harness) {
			first, second := newDeliveryID(), newDeliveryID()
			firstToken := h.mustClaim(first)
			secondToken := h.mustClaim(second)
			h.mustComplete(first, firstToken)
			h.claimFails(second, clerkhook.ErrDeliveryInProgress, "the delivery is claimed")
			h.mustRelease(second, secondToken)
			h.mustClaim(second)
		}},
		{"ConcurrentClaimsOneWins", func(h *harness) {
			id := newDeliveryID()
			errs := concurrently(func(int) error {
				_, err := h.s.(clerkhook.Deduplicator).ClaimDelivery(h.ctx, id, clerkhook.EventUserCreated)
				return err
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
	if !lapser {
		return cases
	}
	return append(cases, storeCase{"LapsedClaimTakenOver", func(h *harness) {
		id := newDeliveryID()
		lapsed := h.mustClaim(id)
		h.lapse(id)
		current := h.mustClaim(id)
		if current == lapsed {
			h.t.Fatalf("ClaimDelivery(%s) taking over a lapsed claim returned its token %q; want a new one", id, current)
		}
		h.lost(h.release(id, lapsed), "ReleaseDelivery", id, "a lapsed claim another attempt took over")
		h.claimFails(id, clerkhook.ErrDeliveryInProgress, "the lapsed claim's release must not free the claim that took it over")
		h.lost(h.complete(id, lapsed), "CompleteDelivery", id, "a lapsed claim another attempt took over")
		h.claimFails(id, clerkhook.ErrDeliveryInProgress, "the lapsed claim's completion must not finish the claim that took it over")
		h.mustComplete(id, current)
		h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the claim that took over was completed")
	}}, storeCase{"LapsedClaimCompletes", func(h *harness) {
		// A claim that lapsed but was not taken over still holds the
		// delivery: its attempt ran late and did the work.
		id := newDeliveryID()
		token := h.mustClaim(id)
		h.lapse(id)
		h.mustComplete(id, token)
		h.claimFails(id, clerkhook.ErrDuplicateDelivery, "the lapsed claim was completed")
	}})
}

// deliveryWriterCases returns the cases of the rules of
// clerkhook.DeliveryWriter, which read the writes back with users; some
// need a Deduplicator too.
func deliveryWriterCases(users *record[clerkhook.User], withDeduplicator bool) []storeCase {
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
			users.expectDeleted(h, gone.ID)
			users.mustRefuse(h, userVersion(gone.ID, h.at(3), 3))
			users.expectDeleted(h, gone.ID)
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
			users.expectDeleted(h, id)
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
				if users.exists(h, u.ID) {
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
				if !users.exists(h, id) {
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
		users.expectUnknown(h, u.ID)
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

func (h *harness) mustClaim(id string) string {
	h.t.Helper()
	token, err := h.s.(clerkhook.Deduplicator).ClaimDelivery(h.ctx, id, clerkhook.EventUserCreated)
	if err != nil {
		h.t.Fatalf("ClaimDelivery(%s) = %v; want nil", id, err)
	}
	return token
}

func (h *harness) complete(id, token string) error {
	return h.s.(clerkhook.Deduplicator).CompleteDelivery(h.ctx, id, token)
}

func (h *harness) release(id, token string) error {
	return h.s.(clerkhook.Deduplicator).ReleaseDelivery(h.ctx, id, token)
}

func (h *harness) mustComplete(id, token string) {
	h.t.Helper()
	if err := h.complete(id, token); err != nil {
		h.t.Fatalf("CompleteDelivery(%s) with the claim's token = %v; want nil", id, err)
	}
}

func (h *harness) mustRelease(id, token string) {
	h.t.Helper()
	if err := h.release(id, token); err != nil {
		h.t.Fatalf("ReleaseDelivery(%s) with the claim's token = %v; want nil", id, err)
	}
}

// lost checks that method, called for id with the token of whose, failed
// with an error matching clerkhook.ErrClaimLost.
func (h *harness) lost(err error, method, id, whose string) {
	h.t.Helper()
	if !errors.Is(err, clerkhook.ErrClaimLost) {
		h.t.Fatalf("%s(%s) with the token of %s = %v; want an error matching clerkhook.ErrClaimLost", method, id, whose, err)
	}
}

// lapse makes the claim of id lapse, through the store's ClaimLapser.
func (h *harness) lapse(id string) {
	h.t.Helper()
	if err := h.s.(ClaimLapser).LapseClaim(h.ctx, id); err != nil {
		h.t.Fatalf("LapseClaim(%s) = %v; want nil", id, err)
	}
}

// claimFails checks that claiming id fails with an error matching want,
// for the reason why.
func (h *harness) claimFails(id string, want error, why string) {
	h.t.Helper()
	if _, err := h.s.(clerkhook.Deduplicator).ClaimDelivery(h.ctx, id, clerkhook.EventUserCreated); !errors.Is(err, want) {
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
