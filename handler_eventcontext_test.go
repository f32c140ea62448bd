package clerkhook_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// eventSeen names the delivery that EventFromContext returned in one call,
// or says it returned none.
type eventSeen struct {
	method, deliveryID, eventType string
	ok                            bool
}

// eventContextStore records what EventFromContext returns in each of its
// write methods, and states nonBlocking.
type eventContextStore struct {
	*clerkhook.MemoryStore
	nonBlocking bool
	mu          sync.Mutex
	seen        []eventSeen
}

func (s *eventContextStore) NonBlocking() bool { return s.nonBlocking }

func (s *eventContextStore) record(ctx context.Context, method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, seenIn(ctx, method))
}

// seenIn is what EventFromContext returns in ctx.
func seenIn(ctx context.Context, method string) eventSeen {
	evt, ok := clerkhook.EventFromContext(ctx)
	if !ok {
		return eventSeen{method: method}
	}
	return eventSeen{method: method, deliveryID: evt.ID, eventType: evt.Type, ok: true}
}

func (s *eventContextStore) UpsertUser(ctx context.Context, u *clerkhook.User) error {
	s.record(ctx, "UpsertUser")
	return s.MemoryStore.UpsertUser(ctx, u)
}

func (s *eventContextStore) UpsertUserDelivery(ctx context.Context, id, typ string, u *clerkhook.User) error {
	s.record(ctx, "UpsertUserDelivery")
	return s.MemoryStore.UpsertUserDelivery(ctx, id, typ, u)
}

func (s *eventContextStore) DeleteUserDelivery(ctx context.Context, id, typ, userID string, at time.Time) error {
	s.record(ctx, "DeleteUserDelivery")
	return s.MemoryStore.DeleteUserDelivery(ctx, id, typ, userID, at)
}

func (s *eventContextStore) ClaimDelivery(ctx context.Context, id, typ string) (string, error) {
	s.record(ctx, "ClaimDelivery")
	return s.MemoryStore.ClaimDelivery(ctx, id, typ)
}

func (s *eventContextStore) UpsertOrganization(ctx context.Context, o *clerkhook.Organization) error {
	s.record(ctx, "UpsertOrganization")
	return s.MemoryStore.UpsertOrganization(ctx, o)
}

func (s *eventContextStore) DeleteOrganization(ctx context.Context, id string, at time.Time) error {
	s.record(ctx, "DeleteOrganization")
	return s.MemoryStore.DeleteOrganization(ctx, id, at)
}

func (s *eventContextStore) UpsertMembership(ctx context.Context, m *clerkhook.OrganizationMembership) error {
	s.record(ctx, "UpsertMembership")
	return s.MemoryStore.UpsertMembership(ctx, m)
}

func (s *eventContextStore) DeleteMembership(ctx context.Context, orgID, userID string, at time.Time) error {
	s.record(ctx, "DeleteMembership")
	return s.MemoryStore.DeleteMembership(ctx, orgID, userID, at)
}

// TestHandlerPutsTheEventInTheStoresContext checks that the store methods
// and the event handlers a Handler calls find the delivery's event in
// their context, on the request's goroutine (a NonBlockingStore) and on the
// Handler's.
func TestHandlerPutsTheEventInTheStoresContext(t *testing.T) {
	org := clerkhook.Organization{ID: "org_2ctx", Object: "organization", Name: "Ctx", UpdatedAt: 1000}
	member := clerkhook.OrganizationMembership{
		ID: "orgmem_2ctx", Object: "organization_membership", Role: "org:admin", Organization: org,
		PublicUserData: clerkhook.PublicUserData{UserID: "user_2ctxmember"}, UpdatedAt: 1000,
	}
	deliveries := []struct {
		eventType string
		data      any
		methods   []string // the store's methods the delivery calls, with and without an event handler
		handled   []string
	}{
		{clerkhook.EventUserCreated, testUser("user_2ctx", 1), []string{"UpsertUserDelivery"}, []string{"ClaimDelivery", "UpsertUser"}},
		{clerkhook.EventUserDeleted, &clerkhook.DeletedObject{Object: "user", ID: "user_2ctx", Deleted: true},
			[]string{"DeleteUserDelivery"}, []string{"ClaimDelivery"}}, // MemoryStore's DeleteUser is not wrapped
		{clerkhook.EventOrganizationCreated, org, []string{"ClaimDelivery", "UpsertOrganization"}, nil},
		{clerkhook.EventOrganizationMembershipCreated, member, []string{"ClaimDelivery", "UpsertMembership"}, nil},
		{clerkhook.EventOrganizationMembershipDeleted, member, []string{"ClaimDelivery", "DeleteMembership"}, nil},
		{clerkhook.EventOrganizationDeleted, clerkhook.DeletedObject{Object: "organization", ID: org.ID, Deleted: true},
			[]string{"ClaimDelivery", "DeleteOrganization"}, nil},
	}
	for _, nonBlocking := range []bool{true, false} {
		for _, withHandler := range []bool{false, true} {
			t.Run(fmt.Sprintf("non_blocking=%t/event_handler=%t", nonBlocking, withHandler), func(t *testing.T) {
				store := &eventContextStore{MemoryStore: clerkhook.NewMemoryStore(), nonBlocking: nonBlocking}
				var handlerSaw []eventSeen
				var opts []clerkhook.HandlerOption
				if withHandler {
					for _, d := range deliveries {
						opts = append(opts, clerkhook.WithEventHandler(d.eventType, func(ctx context.Context, _ *clerkhook.Event) error {
							handlerSaw = append(handlerSaw, seenIn(ctx, "handler"))
							return nil
						}))
					}
				}
				h := newTestHandler(t, store, opts...)
				var want, wantHandler []eventSeen
				for i, d := range deliveries {
					id := fmt.Sprintf("msg_ctx%d", i)
					w := serve(h, signedRequest(t, id, envelope(t, d.eventType, testNow, d.data)))
					require.Equal(t, 200, w.Code, "%s: %s", d.eventType, w.Body)
					methods := d.methods
					if withHandler && d.handled != nil {
						methods = d.handled
					}
					for _, m := range methods {
						want = append(want, eventSeen{method: m, deliveryID: id, eventType: d.eventType, ok: true})
					}
					wantHandler = append(wantHandler, eventSeen{method: "handler", deliveryID: id, eventType: d.eventType, ok: true})
				}
				assert.Equal(t, want, store.seen, "each store method sees the event of its delivery")
				if withHandler {
					assert.Equal(t, wantHandler, handlerSaw, "each event handler sees the event of its delivery")
				}
			})
		}
	}
}

// TestHandlerEventContextOfAMemoryStore checks that the event handlers of
// a Handler on a plain MemoryStore, whose deliveries without event
// handlers skip the event's context, find the event all the same.
func TestHandlerEventContextOfAMemoryStore(t *testing.T) {
	var saw []eventSeen
	h := newTestHandler(t, clerkhook.NewMemoryStore(),
		clerkhook.WithEventHandler(clerkhook.EventUserCreated, func(ctx context.Context, _ *clerkhook.Event) error {
			saw = append(saw, seenIn(ctx, "handler"))
			return nil
		}))
	for _, typ := range []string{clerkhook.EventUserUpdated, clerkhook.EventUserCreated} {
		w := serve(h, signedRequest(t, "msg_mem_"+typ, userBody(t, typ, testUser("user_2mem_"+typ, 1))))
		require.Equal(t, 200, w.Code)
	}
	assert.Equal(t, []eventSeen{{method: "handler", deliveryID: "msg_mem_user.created", eventType: clerkhook.EventUserCreated, ok: true}}, saw)
	_, ok := clerkhook.EventFromContext(context.Background())
	assert.False(t, ok, "outside a delivery")
}
