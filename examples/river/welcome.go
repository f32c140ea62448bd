package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// WelcomeEmailArgs is the job that welcomes a user who signed up.
//
// It names the user and nothing more. The worker reads the address from
// clerk_users when it runs, for three reasons: River keeps a job's
// arguments in river_job for a day after it completes (a week after it
// fails for good), and shows them in its UI, so a copy of the address there
// would outlive the tombstone that erases the user's personal data; the
// address a user fixes between signing up and the mail is the one to use;
// and a user who deleted their account before the worker ran gets no mail.
type WelcomeEmailArgs struct {
	UserID string `json:"user_id"`
}

// Kind is the job's kind in river_job.
func (WelcomeEmailArgs) Kind() string { return "welcome_email" }

// welcomeHook returns the store's change hook: in the transaction that
// stores a user created by a delivery, it inserts the user's welcome job,
// so that the user and the job commit together or not at all (a hook run
// that the store rolls back takes its job with it). The store reports a
// user as created once, whatever the order and the repetitions of the
// deliveries, so the user gets one job.
func welcomeHook(jobs *river.Client[pgx.Tx]) pgxstore.ChangeHook {
	return func(ctx context.Context, tx pgx.Tx, c pgxstore.Change) error {
		// Backfill's writes carry no delivery id, and send no mail: the
		// users it stores first signed up before the service listened, and
		// a first deploy must not welcome the whole user base. A user that
		// Backfill stores before their user.created arrives gets no mail
		// either, since the delivery then changes nothing.
		if c.Kind != pgxstore.ChangeCreated || c.Object != pgxstore.ObjectUser || c.DeliveryID == "" {
			return nil
		}
		if _, err := jobs.InsertTx(ctx, tx, WelcomeEmailArgs{UserID: c.UserID}, nil); err != nil {
			return fmt.Errorf("queue the welcome mail: %w", err)
		}
		return nil
	}
}

// userReader reads a stored user; *pgxstore.Store is one.
type userReader interface {
	User(ctx context.Context, id string) (*clerkhook.User, error)
}

// welcomeWorker sends the welcome mails.
type welcomeWorker struct {
	river.WorkerDefaults[WelcomeEmailArgs]
	users  userReader
	mailer Mailer
	logger *slog.Logger
}

// Work sends the mail to the user's primary address as stored now, or
// nothing when the user has been deleted or has no address. River runs the
// job again when it fails, or when the process dies before River records
// its completion, so a mail that went out just before that goes out twice;
// a mail the server rejected for good cancels the job.
func (w *welcomeWorker) Work(ctx context.Context, job *river.Job[WelcomeEmailArgs]) error {
	u, err := w.users.User(ctx, job.Args.UserID)
	if errors.Is(err, clerkhook.ErrUserNotFound) {
		w.logger.InfoContext(ctx, "welcome mail not sent: the user was deleted", slog.Int64("job", job.ID))
		return nil
	}
	if err != nil {
		return err
	}
	to := u.PrimaryEmail()
	if to == "" {
		w.logger.InfoContext(ctx, "welcome mail not sent: the user has no email address", slog.Int64("job", job.ID))
		return nil
	}
	var name string
	if u.FirstName != nil {
		name = *u.FirstName
	}
	err = w.mailer.SendWelcome(ctx, Welcome{UserID: u.ID, To: to, FirstName: name})
	if errors.Is(err, errRejected) {
		return river.JobCancel(err)
	}
	return err
}
