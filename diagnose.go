package clerkhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// A Diagnosis says why a request passes [Verifier.Verify] or not: what
// each check found, in the order Verify makes them, and, when no secret's
// signature matches the body, whether one matches the body as it was
// before a proxy or framework changed it. It holds no secret, signature or
// body, so it can be logged.
type Diagnosis struct {
	// Family is "svix" or "webhook": the family of signature headers
	// Verify reads. It is "" when the request has no signature header of
	// either family.
	Family string
	// Missing names the headers of Family that are absent or empty;
	// Repeated those that are given more than once.
	Missing, Repeated []string
	// DeliveryID is the id header of Family, "" when it is absent.
	DeliveryID string
	// Timestamp is when the request says it was signed; it is zero when
	// the timestamp header is absent or not Unix seconds. Skew is
	// Timestamp less the Verifier's clock: negative for a request signed
	// in the past. Verify refuses a Skew beyond the tolerance either way.
	Timestamp time.Time
	Skew      time.Duration
	// Signatures is the number of v1 entries in the signature header, of
	// which one must match.
	Signatures int
	// SecretIndex is the position of the configured secret whose
	// signature the request carries, whatever its timestamp: 0 for the
	// main secret, i for the i-th additional one; -1 when none matches or
	// the headers are not complete enough to check. SecretFingerprint is
	// that secret's [SecretFingerprint].
	SecretIndex       int
	SecretFingerprint string
	// BodyChange is set when the signature matches only once the body is
	// changed back: it says what was done to the body after Svix signed
	// it, such as "a trailing newline was added". Something between Svix
	// and Verify rewrote the body, typically a framework that parsed the
	// JSON and encoded it again; Verify needs the bytes as received.
	BodyChange string
	// Err is what Verify returns for the request: nil when it verifies.
	Err error
}

// Diagnose checks a request as [Verifier.Verify] does and says what each
// check found; see [Diagnosis]. It is meant for troubleshooting (the
// command "clerkhook verify" prints it), not for each request: when no
// secret matches, it computes a signature for each secret and each of the
// changes a body commonly goes through.
func (v *Verifier) Diagnose(payload []byte, headers http.Header) Diagnosis {
	d := headersFromHTTP(headers)
	return v.diagnose(payload, &d)
}

// DiagnoseMap is [Verifier.Diagnose] for headers given as a map, as
// [Verifier.VerifyMap] takes them.
func (v *Verifier) DiagnoseMap(payload []byte, headers map[string]string) Diagnosis {
	d := headersFromMap(headers)
	return v.diagnose(payload, &d)
}

func (v *Verifier) diagnose(payload []byte, d *deliveryHeaders) Diagnosis {
	_, err := v.verify(payload, d)
	diag := Diagnosis{SecretIndex: -1, Err: err}
	if v == nil || len(v.hooks) == 0 || d.none() {
		return diag
	}
	fam := d.chosen()
	diag.Family = strings.TrimSuffix(fam.names[0], "-id")
	for i, f := range fam.fields {
		if f.n == 0 || f.value == "" {
			diag.Missing = append(diag.Missing, fam.names[i])
		}
		if f.n > 1 {
			diag.Repeated = append(diag.Repeated, fam.names[i])
		}
	}
	diag.DeliveryID = fam.fields[0].value
	signed, ok := parseTimestamp(fam.fields[1].value)
	if ok {
		diag.Timestamp, diag.Skew = signed, signed.Sub(v.now())
	}
	for _, entry := range strings.Split(fam.fields[2].value, " ") {
		if strings.HasPrefix(entry, "v1,") {
			diag.Signatures++
		}
	}
	if len(diag.Missing) > 0 || !ok {
		return diag
	}

	l := newLibraryHeaders()
	l.vals = [3]string{fam.fields[0].value, fam.fields[1].value, fam.fields[2].value}
	if i := v.matchAny(payload, l.h); i >= 0 {
		diag.SecretIndex, diag.SecretFingerprint = i, v.fingerprints[i]
		return diag
	}
	for _, c := range bodyChanges(payload) {
		if i := v.matchAny(c.signed, l.h); i >= 0 {
			diag.SecretIndex, diag.SecretFingerprint, diag.BodyChange = i, v.fingerprints[i], c.change
			return diag
		}
	}
	return diag
}

// bodyChange is a guess at the body that was signed, and what was done to
// it to give the body received.
type bodyChange struct {
	change string
	signed []byte
}

// bodyChanges returns the bodies that might have been signed, if the body
// received was changed after signing in one of the usual ways, each once.
func bodyChanges(received []byte) []bodyChange {
	var changes []bodyChange
	add := func(change string, signed []byte) {
		if signed == nil || bytes.Equal(signed, received) {
			return
		}
		for _, c := range changes {
			if bytes.Equal(c.signed, signed) {
				return
			}
		}
		changes = append(changes, bodyChange{change, signed})
	}
	add("a trailing newline was removed", append(bytes.Clone(received), '\n'))
	add("a trailing newline was added", bytes.TrimRight(received, "\r\n"))
	if !json.Valid(received) {
		return changes
	}
	var compact bytes.Buffer
	if json.Compact(&compact, received) == nil {
		add("the JSON was re-indented (white space was added)", compact.Bytes())
		for _, indent := range []string{"  ", "    ", "\t"} {
			var indented bytes.Buffer
			if json.Indent(&indented, compact.Bytes(), "", indent) == nil {
				add("the JSON was compacted (white space was removed)", indented.Bytes())
			}
		}
	}
	reencoded, err := reencode(received)
	if err == nil {
		const change = "the JSON was parsed and encoded again (its strings are escaped differently)"
		add(change, reencoded)
		var escaped bytes.Buffer
		json.HTMLEscape(&escaped, reencoded)
		add(change, escaped.Bytes())
		add(change, asciiEscape(reencoded))
	}
	return changes
}

// reencode returns JSON compacted, with its keys in the order given and its
// strings in their shortest encoding: UTF-8 and no escape that is not
// needed.
func reencode(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	// level is an open object or array, and how many keys and values it
	// has shown so far, which says the separator the next one needs.
	type level struct {
		object bool
		n      int
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if top := len(stack) - 1; top >= 0 {
			l := &stack[top]
			switch {
			case l.object && l.n%2 == 1:
				out.WriteByte(':')
			case l.n > 0:
				out.WriteByte(',')
			}
			l.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, level{object: t == '{'})
		case json.Number:
			out.WriteString(string(t))
		default:
			if err := enc.Encode(t); err != nil {
				return nil, err
			}
			out.Truncate(out.Len() - 1) // Encode's newline
		}
	}
}

// asciiEscape escapes every character of the JSON data beyond ASCII as
// \uXXXX, as Python's json module does by default.
func asciiEscape(data []byte) []byte {
	var out bytes.Buffer
	const hex = "0123456789abcdef"
	for _, r := range string(data) {
		if r < utf8.RuneSelf {
			out.WriteByte(byte(r))
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			out.WriteString(`\u`)
			out.WriteByte(hex[u>>12&0xf])
			out.WriteByte(hex[u>>8&0xf])
			out.WriteByte(hex[u>>4&0xf])
			out.WriteByte(hex[u&0xf])
		}
	}
	return out.Bytes()
}
