// Command quickstart shows clerkhook at work without Clerk, a secret or a
// database: it serves the webhook handler with an in-memory store on a
// loopback port, sends it signed deliveries over real HTTP the way Svix
// does, retries and late arrivals included, and prints what the store holds.
//
//	go run ./examples/quickstart
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	// In production the secret comes from the Clerk Dashboard; here we
	// make one, and sign with it the way Svix does.
	secret := clerkhooktest.NewSecret()
	store := clerkhook.NewMemoryStore()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := clerkhook.NewHandler(secret, store, clerkhook.WithLogger(logger))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/clerk", h)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Shutdown(ctx)
	url := "http://" + ln.Addr().String() + "/webhooks/clerk"
	fmt.Fprintf(out, "clerkhook handler listening on %s\n\n", url)

	events, err := history()
	if err != nil {
		return err
	}
	signer, err := clerkhooktest.NewSigner(secret)
	if err != nil {
		return err
	}
	for _, step := range events {
		status, body, err := deliver(ctx, url, signer, step.event)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-44s %-15s %s  -> %d %s\n", step.what, step.event.Type, step.event.ID, status, body)
		if status != http.StatusOK {
			return fmt.Errorf("%s: status %d", step.what, status)
		}
		if step.show {
			if err := printUser(ctx, out, store, userID); err != nil {
				return err
			}
		}
	}
	return printUser(ctx, out, store, userID)
}

const userID = "user_2quickstartAda"

type step struct {
	what  string
	event *clerkhook.Event
	show  bool
}

// history builds the deliveries of one user's life, in the order they
// arrive, which is not the order they happened in.
func history() ([]step, error) {
	created := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	at := func(d time.Duration) clerkhook.UnixMilli {
		return clerkhook.UnixMilli(created.Add(d).UnixMilli())
	}
	user := func(name string, updated clerkhook.UnixMilli) func(*clerkhook.User) {
		return func(u *clerkhook.User) {
			u.ID = userID
			first, last := "Ada", name
			u.FirstName, u.LastName = &first, &last
			u.CreatedAt, u.UpdatedAt = at(0), updated
			for i := range u.EmailAddresses {
				if u.PrimaryEmailAddressID != nil && u.EmailAddresses[i].ID == *u.PrimaryEmailAddressID {
					u.EmailAddresses[i].EmailAddress = "ada@example.com"
				}
			}
		}
	}
	create, err := clerkhooktest.UserCreated(user("Lovelace", at(0)))
	if err != nil {
		return nil, err
	}
	rename, err := clerkhooktest.UserUpdated(user("King", at(20*time.Minute)))
	if err != nil {
		return nil, err
	}
	older, err := clerkhooktest.UserUpdated(user("Byron", at(10*time.Minute)))
	if err != nil {
		return nil, err
	}
	del, err := clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) { d.ID = userID })
	if err != nil {
		return nil, err
	}
	late, err := clerkhooktest.UserUpdated(user("Ghost", at(50*time.Minute)))
	if err != nil {
		return nil, err
	}
	return []step{
		{"1. the user signs up", create, true},
		{"2. the user changes their last name", rename, true},
		{"3. Svix retries the same delivery", rename, false},
		{"4. an older update arrives late", older, true},
		{"5. the user deletes their account", del, false},
		{"6. an update arrives after the delete", late, false},
	}, nil
}

func deliver(ctx context.Context, url string, signer *clerkhooktest.Signer, evt *clerkhook.Event) (int, string, error) {
	body, err := json.Marshal(evt)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header = signer.Headers(evt.ID, time.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(answer)), err
}

func printUser(ctx context.Context, out io.Writer, store *clerkhook.MemoryStore, id string) error {
	u, err := store.User(ctx, id)
	if errors.Is(err, clerkhook.ErrUserNotFound) {
		fmt.Fprintf(out, "%47s store: %s is deleted (a tombstone keeps it deleted)\n", "", id)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%47s store: %s %q <%s> updated_at=%s\n", "", u.ID, u.FullName(), u.PrimaryEmail(), u.UpdatedAt)
	return nil
}
