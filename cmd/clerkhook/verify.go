package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/clerkhook/clerkhook"
)

// secretList is the value of verify's -secret flag, which may be given
// several times.
type secretList []string

func (s *secretList) String() string { return fmt.Sprintf("%d secrets", len(*s)) }

func (s *secretList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// splitSecrets splits CLERK_WEBHOOK_SECRET into its secrets, separated by
// commas or white space, neither of which a secret holds.
func splitSecrets(env string) []string {
	return strings.FieldsFunc(env, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// verifyCommand returns the verify command, which reads a capture given
// as "-" from in, and the time from now.
func verifyCommand(in io.Reader, now func() time.Time) func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return func(_ context.Context, args []string, stdout, stderr io.Writer) int {
		return runVerify(args, in, stdout, stderr, now)
	}
}

// runVerify diagnoses one captured request.
func runVerify(args []string, in io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	f := newFlags("verify", "[-secret whsec_…]… [-tolerance 5m] [FILE|-]",
		`Verify reads one captured delivery and says whether it verifies, and if not
why: it reports each check in turn (the signature headers, the timestamp
against this machine's clock, which secret signed it) and, when no secret
matches, whether the body was changed after Svix signed it, as a framework
that parses the JSON does. It never prints a secret or the body. It exits
with 0 when the request verifies, 1 when it does not, 2 when it cannot run.

The capture is read from FILE, or from standard input when FILE is "-" or
absent. It is either a request in HTTP/1.1 wire format, as "nc -l 8080", a
proxy or httputil.DumpRequest writes it (CRLF or LF line endings, chunked
bodies), or a JSON object {"headers": {...}, "body": "..."} as serverless
platforms log it ("isBase64Encoded": true for a base64 body).

Give each secret the endpoint may be signed with, such as the old and the
new one during a rotation, with -secret, or in CLERK_WEBHOOK_SECRET
separated by commas or spaces. Secrets are named by position and by their
fingerprint: the first 8 hex digits of the SHA-256 of the secret's key, as
"clerkhook serve" logs them and the handler's log lines carry them.`)
	var secrets secretList
	f.Var(&secrets, "secret", "a signing secret, `whsec_…`; repeat it for several (default $CLERK_WEBHOOK_SECRET)")
	tolerance := f.Duration("tolerance", clerkhook.DefaultTolerance, "how far the timestamp may lie from the clock; raise it to check an old capture")
	if code, ok := f.parseArgs(args, 1, stdout, stderr); !ok {
		return code
	}
	if len(secrets) == 0 {
		secrets = splitSecrets(os.Getenv("CLERK_WEBHOOK_SECRET"))
	}
	if len(secrets) == 0 {
		return usageError(stderr, f, "no signing secret: pass -secret or set CLERK_WEBHOOK_SECRET to the endpoint's Signing Secret "+
			"(Clerk Dashboard → Webhooks → your endpoint → Signing Secret)")
	}
	if *tolerance <= 0 {
		return usageError(stderr, f, "-tolerance %v: want a positive duration", *tolerance)
	}
	for i, s := range secrets {
		if _, err := clerkhook.SecretFingerprint(s); err != nil {
			return usageError(stderr, f, "secret %d of %d: %v", i+1, len(secrets), err)
		}
	}
	v, err := clerkhook.NewVerifier(secrets[0], clerkhook.WithAdditionalSecrets(secrets[1:]...),
		clerkhook.WithTolerance(*tolerance), clerkhook.WithClock(now))
	if err != nil {
		return usageError(stderr, f, "%v", err)
	}

	name := f.Arg(0)
	var data []byte
	if name == "" || name == "-" {
		name = "standard input"
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return usageError(stderr, f, "reading the capture: %v", err)
	}
	c, err := parseCapture(data)
	if err != nil {
		return usageError(stderr, f, "%s: %v", name, err)
	}
	r := report{w: stdout}
	r.capture(c)
	d := v.Diagnose(c.body, c.header)
	r.diagnosis(&d, v.SecretFingerprints(), *tolerance, len(c.body))
	if d.Err != nil {
		return exitFailure
	}
	return exitOK
}

// report writes the checks of verify, one line each, and the hints.
type report struct {
	w     io.Writer
	hints []string
}

func (r *report) line(check string, ok bool, format string, args ...any) {
	status := "ok"
	if !ok {
		status = "FAIL"
	}
	fmt.Fprintf(r.w, "%-10s %-4s  %s\n", check, status, fmt.Sprintf(format, args...))
}

func (r *report) note(check, format string, args ...any) {
	fmt.Fprintf(r.w, "%-10s %-4s  %s\n", check, "", fmt.Sprintf(format, args...))
}

func (r *report) hint(format string, args ...any) {
	r.hints = append(r.hints, fmt.Sprintf(format, args...))
}

func (r *report) capture(c *capture) {
	what := c.format
	if c.request != "" {
		what += ", " + c.request
	}
	r.note("capture", "%s, a body of %d bytes", what, len(c.body))
	for _, n := range c.notes {
		r.note("", "%s", n)
	}
}

// rawBodyHint says how to keep the bytes received, framework by framework.
const rawBodyHint = "Verify the raw bytes as received, before any JSON parsing: await req.text() in a Next.js route handler, " +
	"express.raw({type: 'application/json'}) in Express, io.ReadAll(r.Body) in Go (clerkhook.Handler and Middleware do)."

func (r *report) diagnosis(d *clerkhook.Diagnosis, fingerprints []string, tolerance time.Duration, bodyLen int) {
	// The headers.
	switch {
	case d.Family == "":
		r.line("headers", false, "no svix-id, svix-timestamp or svix-signature header (nor webhook-*)")
		r.hint("The request carries none of Svix's headers: a proxy, CDN or load balancer dropped them, or the capture is not of the request Svix sent. " +
			"Capture the request where it reaches your server, and let svix-id, svix-timestamp and svix-signature through.")
	case len(d.Missing) > 0:
		r.line("headers", false, "%s-* headers, but %s absent or empty", d.Family, strings.Join(d.Missing, ", "))
		r.hint("Some of the %s-* headers are missing: something between Clerk and the handler strips headers (a proxy's or CDN's allow-list, a serverless platform's header mapping). Let all three through.", d.Family)
	case len(d.Repeated) > 0:
		r.line("headers", false, "%s-* headers, but %s given more than once", d.Family, strings.Join(d.Repeated, ", "))
		r.hint("A header is given twice: a proxy appended it again instead of passing it on.")
	default:
		r.line("headers", true, "%s-id, %s-timestamp, %s-signature; delivery %s", d.Family, d.Family, d.Family, d.DeliveryID)
	}

	// The timestamp.
	switch {
	case d.Family == "" || slices.Contains(d.Missing, d.Family+"-timestamp"):
	case d.Timestamp.IsZero():
		r.line("timestamp", false, "%s-timestamp is not Unix seconds", d.Family)
		r.hint("Svix sends the timestamp in whole seconds since 1970; a value in milliseconds or a date means the header was rewritten.")
	default:
		ok := d.Skew <= tolerance && -d.Skew <= tolerance
		r.line("timestamp", ok, "signed %s, %s; the tolerance is %v", d.Timestamp.UTC().Format(time.RFC3339), skewText(d.Skew), tolerance)
	}

	// The signature.
	secrets := len(fingerprints)
	switch {
	case d.Family == "" || len(d.Missing) > 0 || d.Timestamp.IsZero():
		r.note("signature", "not checked: the headers are incomplete")
	case d.SecretIndex >= 0 && d.BodyChange == "":
		r.line("signature", true, "matches secret %d of %d (fingerprint %s)", d.SecretIndex+1, secrets, d.SecretFingerprint)
		if d.SecretIndex > 0 {
			r.hint("The request is signed with secret %d, not the first one: during a rotation, keep both until Clerk signs with the new one only.", d.SecretIndex+1)
		}
	case d.SecretIndex >= 0:
		r.line("signature", false, "no secret matches the body received")
		r.line("body", false, "changed after signing: %s; the body before that matches secret %d of %d (fingerprint %s)",
			d.BodyChange, d.SecretIndex+1, secrets, d.SecretFingerprint)
		r.hint("The secret is right, but the body was changed after Svix signed it: %s. Something between Clerk and the signature check "+
			"rewrote it, usually a framework that parsed the JSON and encoded it again. %s", d.BodyChange, rawBodyHint)
	default:
		r.line("signature", false, "no secret of the %d given (fingerprints %s) matches, nor does any usual change of the body", secrets, strings.Join(fingerprints, ", "))
		switch {
		case d.Signatures == 0:
			r.hint("The %s-signature header holds no v1 entry (\"v1,\" and base64): it is not a Svix signature.", d.Family)
		case bodyLen == 0:
			r.hint("The body is empty: the framework read it before the handler did. " + rawBodyHint)
		default:
			r.hint("The request was signed with another secret: each endpoint has a Signing Secret of its own, and development and production " +
				"instances differ. Copy it from the Clerk Dashboard → Webhooks → your endpoint → Signing Secret; after a rotation, give the old and the new one. " +
				"Or the body was changed in a way this check does not undo (keys reordered, values changed). " + rawBodyHint)
		}
	}
	if d.SecretIndex >= 0 && d.BodyChange == "" && !d.Timestamp.IsZero() && (d.Skew > tolerance || -d.Skew > tolerance) {
		r.hint("The signature is right but the timestamp is out of tolerance: the capture is older than %v (replaying it is refused by design; "+
			"pass -tolerance to check an old capture), or this machine's clock is wrong (check that NTP runs: timedatectl).", tolerance)
	}

	if d.Err == nil {
		r.line("result", true, "the request verifies")
	} else {
		r.line("result", false, "the request does not verify: %v", d.Err)
	}
	for _, h := range r.hints {
		fmt.Fprintf(r.w, "\nhint: %s\n", h)
	}
}

// skewText says how far a timestamp lies from the clock.
func skewText(skew time.Duration) string {
	switch {
	case skew < 0:
		return fmt.Sprintf("%v before this machine's clock", (-skew).Round(time.Second))
	case skew > 0:
		return fmt.Sprintf("%v after this machine's clock", skew.Round(time.Second))
	default:
		return "at this machine's clock"
	}
}
