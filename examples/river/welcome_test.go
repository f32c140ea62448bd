package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// TestWelcomeHook checks which changes queue a welcome job: a user created
// by a delivery, and nothing else.
func TestWelcomeHook(t *testing.T) {
	r := newTestReplica(t, clerkhooktest.NewSecret(), newRecordingMailer())
	hook := welcomeHook(r.jobs)
	user := &clerkhook.User{ID: "user_hook"}
	tests := []struct {
		name   string
		change pgxstore.Change
		jobs   int
	}{
		{"user created by a delivery", pgxstore.Change{Kind: pgxstore.ChangeCreated, Object: pgxstore.ObjectUser,
			DeliveryID: "msg_1", EventType: clerkhook.EventUserCreated, UserID: user.ID, User: user}, 1},
		{"user first seen in a user.updated", pgxstore.Change{Kind: pgxstore.ChangeCreated, Object: pgxstore.ObjectUser,
			DeliveryID: "msg_2", EventType: clerkhook.EventUserUpdated, UserID: user.ID, User: user}, 1},
		{"user created by Backfill", pgxstore.Change{Kind: pgxstore.ChangeCreated, Object: pgxstore.ObjectUser,
			UserID: user.ID, User: user}, 0},
		{"user updated", pgxstore.Change{Kind: pgxstore.ChangeUpdated, Object: pgxstore.ObjectUser,
			DeliveryID: "msg_3", EventType: clerkhook.EventUserUpdated, UserID: user.ID, User: user}, 0},
		{"user deleted", pgxstore.Change{Kind: pgxstore.ChangeDeleted, Object: pgxstore.ObjectUser,
			DeliveryID: "msg_4", EventType: clerkhook.EventUserDeleted, UserID: user.ID}, 0},
		{"organization created", pgxstore.Change{Kind: pgxstore.ChangeCreated, Object: pgxstore.ObjectOrganization,
			DeliveryID: "msg_5", EventType: clerkhook.EventOrganizationCreated, OrganizationID: "org_1",
			Organization: &clerkhook.Organization{ID: "org_1"}}, 0},
		{"membership created", pgxstore.Change{Kind: pgxstore.ChangeCreated, Object: pgxstore.ObjectMembership,
			DeliveryID: "msg_6", EventType: clerkhook.EventOrganizationMembershipCreated, UserID: user.ID,
			OrganizationID: "org_1", Membership: &clerkhook.OrganizationMembership{ID: "orgmem_1"}}, 0},
	}
	count := fmt.Sprintf(`SELECT count(*) FROM %s WHERE kind = $1 AND args->>'user_id' = $2`,
		pgx.Identifier{r.riverSchema, "river_job"}.Sanitize())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			tx, err := r.pool.Begin(ctx)
			require.NoError(t, err)
			defer tx.Rollback(ctx)
			require.NoError(t, hook(ctx, tx, tt.change))
			var n int
			require.NoError(t, tx.QueryRow(ctx, count, WelcomeEmailArgs{}.Kind(), user.ID).Scan(&n))
			assert.Equal(t, tt.jobs, n)
		})
	}
}

// TestWelcomeReadsTheUserWhenItRuns queues the jobs of three users before
// any worker runs, then changes the first user's address, deletes the
// second and leaves the third without one: the mail goes to the new
// address, and the others get none.
func TestWelcomeReadsTheUserWhenItRuns(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	mailer := newRecordingMailer()
	r := newTestReplica(t, secret, mailer)

	var moved, deleted, noEmail clerkhook.User
	for _, u := range []*clerkhook.User{&moved, &deleted, &noEmail} {
		evt, err := clerkhooktest.UserCreated(func(c *clerkhook.User) {
			if u == &noEmail {
				c.EmailAddresses, c.PrimaryEmailAddressID = []clerkhook.EmailAddress{}, nil
			}
			*u = *c
		})
		require.NoError(t, err)
		mustDeliver(t, r.handler, secret, evt)
	}
	newAddress := "ada.moved@example.com"
	evt, err := clerkhooktest.UserUpdated(func(u *clerkhook.User) {
		email := moved.EmailAddresses[0]
		email.EmailAddress = newAddress
		u.ID, u.CreatedAt, u.UpdatedAt = moved.ID, moved.CreatedAt, moved.UpdatedAt+1
		u.EmailAddresses, u.PrimaryEmailAddressID = []clerkhook.EmailAddress{email}, &email.ID
	})
	require.NoError(t, err)
	mustDeliver(t, r.handler, secret, evt)
	evt, err = clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = deleted.ID })
	require.NoError(t, err)
	mustDeliver(t, r.handler, secret, evt)

	jobs := welcomeJobs(t, r.pool, r.riverSchema)
	require.Len(t, jobs, 3, "one job per user created")
	startJobs(t, r.replica)
	waitJobsDone(t, r.pool, r.riverSchema, 10*time.Second)
	for id, js := range welcomeJobs(t, r.pool, r.riverSchema) {
		require.Len(t, js, 1, id)
		assert.Equal(t, "completed", js[0].state, id)
	}
	want := map[string][]Welcome{moved.ID: {{UserID: moved.ID, To: newAddress, FirstName: *moved.FirstName}}}
	assert.Equal(t, want, mailer.mails())
}

// rejectingMailer fails every mail as an SMTP server that rejects the
// recipient does.
type rejectingMailer struct{}

func (rejectingMailer) SendWelcome(context.Context, Welcome) error {
	return fmt.Errorf("%w: RCPT: 550", errRejected)
}

// TestWelcomeRejectedMailCancelsTheJob checks that a mail the server
// rejected for good is not retried.
func TestWelcomeRejectedMailCancelsTheJob(t *testing.T) {
	secret := clerkhooktest.NewSecret()
	r := newTestReplica(t, secret, rejectingMailer{})
	evt, err := clerkhooktest.UserCreated()
	require.NoError(t, err)
	mustDeliver(t, r.handler, secret, evt)
	startJobs(t, r.replica)
	waitJobsDone(t, r.pool, r.riverSchema, 10*time.Second)
	jobs := welcomeJobs(t, r.pool, r.riverSchema)
	require.Len(t, jobs, 1)
	for id, js := range jobs {
		require.Len(t, js, 1, id)
		assert.Equal(t, welcomeJob{userID: id, state: "cancelled", attempt: 1}, js[0])
	}
}
