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
func builders() map[string]func() (*clerkhook.Event, error) {
	return map[string]func() (*clerkhook.Event, error){
		clerkhook.EventUserCreated:                   func() (*clerkhook.Event, error) { return clerkhooktest.UserCreated() },
		clerkhook.EventUserUpdated:                   func() (*clerkhook.Event, error) { return clerkhooktest.UserUpdated() },
		clerkhook.EventUserDeleted:                   func() (*clerkhook.Event, error) { return clerkhooktest.UserDeleted() },
		clerkhook.EventOrganizationCreated:           func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationCreated() },
		clerkhook.EventOrganizationUpdated:           func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationUpdated() },
		clerkhook.EventOrganizationDeleted:           func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationDeleted() },
		clerkhook.EventOrganizationMembershipCreated: func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationMembershipCreated() },
		clerkhook.EventOrganizationMembershipUpdated: func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationMembershipUpdated() },
		clerkhook.EventOrganizationMembershipDeleted: func() (*clerkhook.Event, error) { return clerkhooktest.OrganizationMembershipDeleted() },
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
	f := newFlags("send", "-url URL [-secret S] [-type TYPE | -file FILE] [-id ID] [-repeat N]",
		`Send signs a Clerk event exactly as Svix does (svix-id, svix-timestamp and
svix-signature headers) and POSTs it to a webhook endpoint, such as one run
by "clerkhook serve", then prints the answer. It exits with 1 when the
endpoint cannot be reached or does not answer 2xx.

With -type, the event is a realistic one made up by package clerkhooktest,
with fresh ids. -type supports:
`+typeList()+`
For other types, or for a payload of one's own, write the body to a file
and pass -file: its bytes are sent as they are.`)
	target := f.String("url", "", "the webhook endpoint, such as http://127.0.0.1:8080/webhooks/clerk (required)")
	secretFlag := f.String("secret", "", "the endpoint's signing secret, whsec_… (default $CLERK_WEBHOOK_SECRET)")
	eventType := f.String("type", "", "the type of the event to make up (default user.created)")
	file := f.String("file", "", "a file whose bytes are the body to send, instead of a made-up event")
	deliveryID := f.String("id", "", "the delivery id, svix-id (default a fresh msg_… id)")
	repeat := f.Int("repeat", 1, "how many times to send the delivery, with the same id, as Svix retries it")
	if code, ok := f.parse(args, stdout, stderr); !ok {
		return code
	}

	endpoint, err := url.Parse(*target)
	switch {
	case *target == "":
		return usageError(stderr, f, "-url is required: the webhook endpoint, such as http://127.0.0.1:8080/webhooks/clerk")
	case err != nil || (endpoint.Scheme != "http" && endpoint.Scheme != "https") || endpoint.Host == "":
		return usageError(stderr, f, "-url %q is not an http or https URL", *target)
	case *eventType != "" && *file != "":
		return usageError(stderr, f, "-type and -file exclude each other")
	case *repeat < 1:
		return usageError(stderr, f, "-repeat %d: send at least once", *repeat)
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

	var body []byte
	var what string
	if *file != "" {
		if body, err = os.ReadFile(*file); err != nil {
			return fail(stderr, f, "%v", err)
		}
		what = describe(body)
	} else {
		typ := *eventType
		if typ == "" {
			typ = clerkhook.EventUserCreated
		}
		build, ok := builders()[typ]
		if !ok {
			return usageError(stderr, f, "%s", unsupportedType(typ))
		}
		evt, err := build()
		if err != nil {
			return fail(stderr, f, "making up a %s event: %v", typ, err)
		}
		if body, err = json.Marshal(evt); err != nil {
			return fail(stderr, f, "encoding the event: %v", err)
		}
		what = describe(body)
	}
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
