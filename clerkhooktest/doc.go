// Package clerkhooktest helps test code that receives Clerk webhooks with
// package clerkhook: it signs deliveries as Svix does, builds realistic
// events, and checks a custom store against the rules of [clerkhook.UserStore].
//
// A test of a service's webhook endpoint signs a request with a secret of
// its own and serves it to the handler:
//
//	secret := clerkhooktest.NewSecret()
//	h, err := clerkhook.NewHandler(secret, store)
//	if err != nil {
//		t.Fatal(err)
//	}
//	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) {
//		u.ID = "user_42"
//	})
//	if err != nil {
//		t.Fatal(err)
//	}
//	rec := httptest.NewRecorder()
//	h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
//
// Serving the same [clerkhook.Event] again delivers it again under the same
// svix-id, as Svix does when it retries; [WithDeliveryID] makes it a
// distinct delivery.
//
// The builders ([UserCreated], [OrganizationMembershipDeleted] and the
// others) make events as Clerk sends them: a full object with the field set
// of real deliveries and invented values, fresh random ids, and times of
// the last few seconds, so that created_at <= updated_at <= the envelope's
// timestamp. Each override, applied in order, changes the object before it
// is encoded; the envelope's timestamp is the build time, or the object's
// updated_at when an override moved it later. The Event's ID, its delivery
// id, is a fresh "msg_…" id. A builder fails only when an override is nil
// or leaves the object impossible to encode, such as metadata that is not
// valid JSON. [NewEvent] makes events of the other types.
//
// The builders need no testing.T, so that programs that send test
// deliveries can use them too; json.Marshal of the Event they return gives
// the body Clerk would send.
//
// A store of one's own, for example over a database, runs the conformance
// suite from a test:
//
//	func TestStore(t *testing.T) {
//		clerkhooktest.TestUserStore(t, func(t *testing.T) clerkhooktest.Store {
//			return mystore.New(testDB(t))
//		})
//	}
//
// The suite also checks the optional interfaces the store implements, such
// as [clerkhook.MembershipStore] and [clerkhook.Deduplicator]. A store that
// keeps its own shape rather than Clerk's fields (a display name, no
// metadata) runs [TestVersionedStore] instead, which reads back through a
// narrow reader, [UserVersionReader]: the version the store holds of a
// record, and whether it is deleted.
package clerkhooktest
