package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// sendTimeout bounds one attempt, as Svix gives up on an attempt after
// 15 seconds.
const sendTimeout = 15 * time.Second

// maxShownAnswer is how much of an answer's body send prints.
const maxShownAnswer = 200

// builders are the event types send -type can build, with their builders.
// A builder makes up an event about the user userID, or a fresh user when
// userID is "".
func builders() map[string]func(userID string) (*clerkhook.Event, error) {
	user := func(userID string) func(*clerkhook.User) {
		return func(u *clerkhook.User) {
			if userID != "" {
				// A script plays the events of one user in turn; each
				// must be newer than the one before.
				u.ID, u.UpdatedAt = userID, clerkhook.UnixMilli(time.Now().UnixMilli())
			}
		}
	}
	membership := func(userID string) func(*clerkhook.OrganizationMembership) {
		return func(m *clerkhook.OrganizationMembership) {
			if userID != "" {
				m.PublicUserData.UserID = userID
			}
		}
	}
	return map[string]func(string) (*clerkhook.Event, error){
		clerkhook.EventUserCreated: func(id string) (*clerkhook.Event, error) { return clerkhooktest.UserCreated(user(id)) },
		clerkhook.EventUserUpdated: func(id string) (*clerkhook.Event, error) { return clerkhooktest.UserUpdated(user(id)) },
		clerkhook.EventUserDeleted: func(id string) (*clerkhook.Event, error) {
			return clerkhooktest.UserDeleted(func(d *clerkhook.DeletedObject) {
				if id != "" {
					d.ID = id
				}
			})
		},
		clerkhook.EventOrganizationCreated: func(string) (*clerkhook.Event, error) { return clerkhooktest.OrganizationCreated() },
		clerkhook.EventOrganizationUpdated: func(string) (*clerkhook.Event, error) { return clerkhooktest.OrganizationUpdated() },
		clerkhook.EventOrganizationDeleted: func(string) (*clerkhook.Event, error) { return clerkhooktest.OrganizationDeleted() },
		clerkhook.EventOrganizationMembershipCreated: func(id string) (*clerkhook.Event, error) {
			return clerkhooktest.OrganizationMembershipCreated(membership(id))
		},
		clerkhook.EventOrganizationMembershipUpdated: func(id string) (*clerkhook.Event, error) {
			return clerkhooktest.OrganizationMembershipUpdated(membership(id))
		},
		clerkhook.EventOrganizationMembershipDeleted: func(id string) (*clerkhook.Event, error) {
			return clerkhooktest.OrganizationMembershipDeleted(membership(id))
		},
	}
}

// builtTypes returns the types send -type can build, sorted.
func builtTypes() []string {
	var types []string
	for t := range builders() {
		types = append(types, t)
	}
	slices.Sort(types)
	return types
}

// typeList lists the types send -type supports, one line per kind of
// object.
func typeList() string {
	var b strings.Builder
	kind := ""
	for _, t := range builtTypes() {
		k, _, _ := strings.Cut(t, ".")
		switch {
		case kind == "":
			b.WriteString("  ")
		case k != kind:
			b.WriteString("\n  ")
		default:
			b.WriteString(", ")
		}
		kind = k
		b.WriteString(t)
	}
	return b.String()
}

// runSend sends a signed delivery.
func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("send", "-url URL [-secret S] [-type TYPE [-user-id ID] | -file FILE] [-id ID] [-repeat N] | -print",
		`Send signs a Clerk event exactly as Svix does (svix-id, svix-timestamp and
svix-signature headers) and POSTs it to a webhook endpoint, such as one run
by "clerkhook serve", then prints the answer. It exits with 1 when the
endpoint cannot be reached or does not answer 2xx.

With -type, the event is a realistic one made up by package clerkhooktest,
with fresh ids. -type supports:
`+typeList()+`
With -user-id, the user events are about that user, and the membership
events about a membership of that user, so that a script can play the
life of one user:

  clerkhook send -url … -type user.created -user-id user_2test
  clerkhook send -url … -type user.updated -user-id user_2test
  clerkhook send -url … -type user.deleted -user-id user_2test

For other types, or for a payload of one's own, write the body to a file
and pass -file: its bytes are sent as they are. The clerkhook repository
has one for each event type Clerk sends, in testdata/events:

  clerkhook send -url … -file testdata/events/session.created.json

With -print, send writes the body it would send to standard output and
sends nothing, to keep it or edit it for -file.`)
	target := f.String("url", "", "the webhook endpoint, such as http://127.0.0.1:8080/webhooks/clerk (required)")
	secretFlag := f.String("secret", "", "the endpoint's signing secret, whsec_… (default $CLERK_WEBHOOK_SECRET)")
	eventType := f.String("type", "", "the type of the event to make up (default user.created)")
	file := f.String("file", "", "a file whose bytes are the body to send, instead of a made-up event, such as testdata/events/user.updated.json")
	userID := f.String("user-id", "", "with -type, the id of the user the event is about (default a fresh user_… id)")
	printBody := f.Bool("print", false, "write the body to standard output instead of sending it")
	deliveryID := f.String("id", "", "the delivery id, svix-id (default a fresh msg_… id)")
	repeat := f.Int("repeat", 1, "how many times to send the delivery, with the same id, as Svix retries it")
	if code, ok := f.parse(args, stdout, stderr); !ok {
		return code
	}

	endpoint, err := url.Parse(*target)
	switch {
	case *printBody:
	case *target == "":
		return usageError(stderr, f, "-url is required: the webhook endpoint, such as http://127.0.0.1:8080/webhooks/clerk")
	case err != nil || (endpoint.Scheme != "http" && endpoint.Scheme != "https") || endpoint.Host == "":
		return usageError(stderr, f, "-url %q is not an http or https URL", *target)
	}
	if *eventType != "" && *file != "" {
		return usageError(stderr, f, "-type and -file exclude each other")
	}
	if *file == "" && *eventType == "" {
		*eventType = clerkhook.EventUserCreated
	}
	switch {
	case *userID != "" && *file != "":
		return usageError(stderr, f, "-user-id is for the events of -type; a -file is sent as it is")
	case *userID != "" && !strings.HasPrefix(*eventType, "user.") && !strings.HasPrefix(*eventType, "organizationMembership."):
		return usageError(stderr, f, "-user-id is for the user.* and organizationMembership.* types of -type")
	case *repeat < 1:
		return usageError(stderr, f, "-repeat %d: send at least once", *repeat)
	}
	if *printBody {
		body, code := sendBody(*file, *eventType, *userID, f, stderr)
		if body == nil {
			return code
		}
		stdout.Write(body)
		return exitOK
	}
	secret := fromEnv(*secretFlag, "CLERK_WEBHOOK_SECRET")
	if secret == "" {
		return usageError(stderr, f, "no signing secret: pass -secret or set CLERK_WEBHOOK_SECRET to the endpoint's Signing Secret "+
			"(Clerk Dashboard → Webhooks → your endpoint → Signing Secret, or the one \"clerkhook serve -dev\" printed)")
	}
	signer, err := clerkhooktest.NewSigner(secret)
	if err != nil {
		return usageError(stderr, f, "the signing secret cannot be used: %v", err)
	}

	body, code := sendBody(*file, *eventType, *userID, f, stderr)
	if body == nil {
		return code
	}
	what := describe(body)
	id := *deliveryID
	if id == "" {
		id = newDeliveryID()
	}

	fmt.Fprintf(stdout, "delivery %s: %s\n", id, what)
	client := &http.Client{Timeout: sendTimeout}
	failed, refused := 0, false
	for attempt := 1; attempt <= *repeat; attempt++ {
		status, answer, err := deliver(ctx, client, *target, signer, id, body)
		if err != nil {
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				err = urlErr.Err
			}
			return fail(stderr, f, "cannot reach %s: %v", *target, err)
		}
		fmt.Fprintf(stdout, "attempt %d/%d: %d %s: %s\n", attempt, *repeat, status, http.StatusText(status), answer)
		if status < 200 || status > 299 {
			failed++
			refused = refused || status == http.StatusUnauthorized
		}
	}
	if refused {
		return fail(stderr, f, "the endpoint refused the signature: is the secret the endpoint's signing secret, and is this machine's clock right?")
	}
	if failed > 0 {
		return fail(stderr, f, "%d of %d attempts were not answered with 2xx", failed, *repeat)
	}
	return exitOK
}

// sendBody returns the body of the delivery: the bytes of file, or an
// event of eventType made up for userID. When it fails, it returns nil
// and the exit code, having reported why.
func sendBody(file, eventType, userID string, f *flags, stderr io.Writer) ([]byte, int) {
	if file != "" {
		body, err := os.ReadFile(file)
		if err != nil {
			return nil, fail(stderr, f, "%v", err)
		}
		return body, exitOK
	}
	build, ok := builders()[eventType]
	if !ok {
		return nil, usageError(stderr, f, "%s", unsupportedType(eventType))
	}
	evt, err := build(userID)
	if err != nil {
		return nil, fail(stderr, f, "making up a %s event: %v", eventType, err)
	}
	body, err := json.Marshal(evt)
	if err != nil {
		return nil, fail(stderr, f, "encoding the event: %v", err)
	}
	return body, exitOK
}

// unsupportedType explains why send -type cannot make up an event of typ.
func unsupportedType(typ string) string {
	if slices.Contains(clerkhook.EventTypes(), typ) {
		return fmt.Sprintf("-type cannot make up %s events, only %s; write the event to a file and pass -file",
			typ, strings.Join(builtTypes(), ", "))
	}
	return fmt.Sprintf("-type %q is not an event type Clerk sends; -type supports %s", typ, strings.Join(builtTypes(), ", "))
}

// describe names the event in body, for the output: its type and the id
// of its object.
func describe(body []byte) string {
	evt, err := clerkhook.ParseEvent(body)
	if err != nil {
		return fmt.Sprintf("%d bytes that are not a Clerk event (%v)", len(body), err)
	}
	var obj struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(evt.Data, &obj) != nil || obj.ID == "" {
		return evt.Type
	}
	return evt.Type + " " + obj.ID
}

// deliver sends one attempt of a delivery, signed now, and returns the
// status and the start of the answer's body.
func deliver(ctx context.Context, client *http.Client, target string, signer *clerkhooktest.Signer, id string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header = signer.Headers(id, time.Now(), body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "clerkhook-send")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxShownAnswer+1))
	if err != nil {
		return 0, "", err
	}
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(answer[:min(len(answer), maxShownAnswer)]), "")), " ")
	if len(answer) > maxShownAnswer {
		text += " …"
	}
	return resp.StatusCode, text, nil
}

// newDeliveryID returns a fresh id in the form of Svix's message ids.
func newDeliveryID() string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := []byte("msg_")
	for range 27 {
		b = append(b, chars[rand.IntN(len(chars))])
	}
	return string(b)
}
