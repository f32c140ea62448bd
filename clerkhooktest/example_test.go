package clerkhooktest_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// A service's test of its webhook endpoint: it signs deliveries with a
// secret of its own, serves them to the handler and reads the store.
func Example() {
	// In a test, t is the *testing.T the test is given; an example has
	// none.
	t := &testing.T{}

	secret := clerkhooktest.NewSecret()
	store := clerkhook.NewMemoryStore()
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		log.Fatal(err)
	}

	created, err := clerkhooktest.UserCreated(func(u *clerkhook.User) {
		u.ID = "user_42"
	})
	if err != nil {
		log.Fatal(err)
	}
	updated, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
		u.ID = "user_42"
		last := "Hopper"
		u.LastName = &last
	})
	if err != nil {
		log.Fatal(err)
	}
	// Serving an Event again is a retry under the same svix-id: the
	// handler acknowledges it without applying it again.
	for _, evt := range []*clerkhook.Event{created, updated, created} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, clerkhooktest.NewEventRequest(t, secret, evt))
		fmt.Println(evt.Type, rec.Code)
	}

	u, err := store.User(context.Background(), "user_42")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.FullName())
	// Output:
	// user.created 200
	// user.updated 200
	// user.created 200
	// Ada Hopper
}

// Signing a request for a server that runs, such as one started with
// httptest.NewServer, takes the headers from a Signer.
func ExampleSigner_Headers() {
	s, err := clerkhooktest.NewSigner("whsec_MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0")
	if err != nil {
		log.Fatal(err)
	}
	payload := []byte(`{"type":"user.deleted","object":"event","timestamp":1767441600208,"instance_id":"ins_1","data":{"object":"user","id":"user_42","deleted":true}}`)
	h := s.Headers("msg_2xQ7hZ0", time.Unix(1767441600, 0), payload)
	for _, name := range []string{"svix-id", "svix-timestamp", "svix-signature"} {
		fmt.Printf("%s: %s\n", name, h.Get(name))
	}
	// Output:
	// svix-id: msg_2xQ7hZ0
	// svix-timestamp: 1767441600
	// svix-signature: v1,zWjR0ZVcVgfq4sIvyVagjOqIaavRx1QwJp5DA6wtEK4=
}

// Overrides set the fields a test depends on; the others keep realistic
// values.
func ExampleOrganizationMembershipCreated() {
	evt, err := clerkhooktest.OrganizationMembershipCreated(func(m *clerkhook.OrganizationMembership) {
		m.Organization.ID = "org_7"
		m.PublicUserData.UserID = "user_42"
		m.Role = "org:admin"
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := evt.OrganizationMembership()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(evt.Type, m.UserID(), m.OrganizationID(), m.Role)
	fmt.Println(m.Organization.Name, m.Permissions)
	// Output:
	// organizationMembership.created user_42 org_7 org:admin
	// Northwind Labs [org:sys_memberships:read]
}

// NewEvent makes events of the types that have no builder of their own.
func ExampleNewEvent() {
	evt, err := clerkhooktest.NewEvent(clerkhook.EventRoleCreated, map[string]any{
		"object": "role",
		"id":     "role_1",
		"key":    "org:billing",
		"name":   "Billing",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(evt.Type, string(evt.Data))
	// Output:
	// role.created {"id":"role_1","key":"org:billing","name":"Billing","object":"role"}
}
