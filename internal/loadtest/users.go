package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// Users simulates Clerk users, whose histories the deliveries of each [Run]
// continue: the first event of a user is a user.created, the next ones
// user.updated events, each newer than the one before, as Clerk sends them
// when a user signs up and then signs in, edits their profile or is given
// metadata. Runs take the users in turn, so that a run of n deliveries over
// u users updates each about n/u times and later runs update the same
// users again.
//
// A Users is not safe for concurrent use.
type Users struct {
	signer *clerkhooktest.Signer
	users  []simUser
	// next is the user of the next delivery.
	next int
}

// simUser is what a user's next event must keep from the previous ones.
type simUser struct {
	// latest is the user's last event, or nil before the user is created.
	latest         *clerkhook.Event
	id             string
	createdAt      clerkhook.UnixMilli
	updatedAt      clerkhook.UnixMilli
	primaryEmailID *string
	emailAddresses []clerkhook.EmailAddress
}

// delivery is one signed request, ready to send.
type delivery struct {
	eventType string
	body      []byte
	header    http.Header
}

// NewUsers returns n users, none of them created yet, whose deliveries are
// signed with secret.
func NewUsers(secret string, n int) (*Users, error) {
	if n < 1 {
		return nil, fmt.Errorf("loadtest: %d users, want at least 1", n)
	}
	signer, err := clerkhooktest.NewSigner(secret)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	return &Users{signer: signer, users: make([]simUser, n)}, nil
}

// Latest returns the last version built of each user created so far: what
// a store holds once every delivery built has been processed, whatever
// their order of arrival.
func (us *Users) Latest() ([]*clerkhook.User, error) {
	var latest []*clerkhook.User
	for _, s := range us.users {
		if s.latest == nil {
			continue
		}
		u, err := s.latest.User()
		if err != nil {
			return nil, fmt.Errorf("loadtest: decoding a built event: %w", err)
		}
		latest = append(latest, u)
	}
	return latest, nil
}

// deliveries builds the next n deliveries, each with a svix-id of its own,
// signed at signedAt.
func (us *Users) deliveries(n int, signedAt time.Time) ([]delivery, error) {
	ds := make([]delivery, n)
	for i := range ds {
		evt, err := us.users[us.next].nextEvent()
		if err != nil {
			return nil, err
		}
		us.next = (us.next + 1) % len(us.users)
		body, err := json.Marshal(evt)
		if err != nil {
			return nil, fmt.Errorf("loadtest: encoding a %s event: %w", evt.Type, err)
		}
		header := us.signer.Headers(evt.ID, signedAt, body)
		header.Set("Content-Type", "application/json")
		ds[i] = delivery{eventType: evt.Type, body: body, header: header}
	}
	return ds, nil
}

// nextEvent builds the user's next event and remembers it.
func (s *simUser) nextEvent() (*clerkhook.Event, error) {
	var evt *clerkhook.Event
	var err error
	var built *clerkhook.User
	if s.latest == nil {
		evt, err = clerkhooktest.UserCreated(func(u *clerkhook.User) { built = u })
	} else {
		evt, err = clerkhooktest.UserUpdated(func(u *clerkhook.User) {
			// The builder makes up a new user; keep the identity of this
			// one, and make the version newer than the last even when the
			// clock has not moved.
			u.ID = s.id
			u.CreatedAt = s.createdAt
			u.PrimaryEmailAddressID = s.primaryEmailID
			u.EmailAddresses = s.emailAddresses
			u.UpdatedAt = max(u.UpdatedAt, s.updatedAt+1)
			built = u
		})
	}
	if err != nil {
		return nil, fmt.Errorf("loadtest: building a user event: %w", err)
	}
	// The builder encodes the user after the overrides and changes it no
	// more.
	s.latest = evt
	s.id, s.createdAt, s.updatedAt = built.ID, built.CreatedAt, built.UpdatedAt
	s.primaryEmailID, s.emailAddresses = built.PrimaryEmailAddressID, built.EmailAddresses
	return evt, nil
}
