package clerkhook

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"
)

// The hand-written decoder (scan.go, fastdecode.go) must, whenever it
// succeeds, yield exactly what the reflective decoder yields, and must never
// accept what the reflective decoder refuses; it may give up on anything,
// which costs a second decoding. The tests below hold it to that.

// handDecoder is one of the hand decoders with the event type whose data
// it reads, as generic checks bound to its data type.
type handDecoder struct {
	name      string
	eventType string
	// differential checks one input as an envelope and as bare data.
	differential func(t *testing.T, input []byte)
	// drift checks a value with every field set.
	drift func(t *testing.T)
}

func newHandDecoder[T any](eventType string, data func(*scanner, *T)) handDecoder {
	return handDecoder{
		name:         reflect.TypeFor[T]().Name(),
		eventType:    eventType,
		differential: func(t *testing.T, input []byte) { requireSameAsReflective(t, eventType, data, input) },
		drift:        func(t *testing.T) { requireNoDrift(t, eventType, data) },
	}
}

// handDecoders are the three shapes with a hand decoder; everything they
// nest is reached through them.
var handDecoders = []handDecoder{
	newHandDecoder(EventUserUpdated, (*scanner).user),
	newHandDecoder(EventOrganizationUpdated, (*scanner).organization),
	newHandDecoder(EventOrganizationMembershipUpdated, (*scanner).organizationMembership),
}

// requireSameAsReflective decodes input with the hand decoder and the
// reflective one, first as a whole webhook body of type eventType, then as
// the data of such an event, and requires that wherever the hand decoder
// succeeds the strict reflective decoder succeeds with the same result, and
// the tolerant one (the Handler's path when the hand decoder gives up) too,
// without anomalies: the hand decoder must give up on a drifted value.
func requireSameAsReflective[T any](t *testing.T, eventType string, data func(*scanner, *T), input []byte) {
	t.Helper()
	name := reflect.TypeFor[T]().Name()
	sh, ok := eventShapes[eventType]
	require.True(t, ok, "%s is not in the catalog", eventType)

	if evt, v, ok := decodeEvent(input, eventType, data); ok {
		wantEvt, wantV, wantOK := decodeTyped[T](input, eventType)
		require.True(t, wantOK, "decodeEvent[%s] accepted a body the reflective decoder refuses (%v)\nbody: %q",
			name, reflectiveError[wireEvent[T]](input), input)
		require.Equal(t, keptEnvelope(wantEvt), evt, "decodeEvent[%s]: the envelope differs from the reflective decoder's\nbody: %q", name, input)
		// decodeEvent also keeps the bytes of the data as its Raw.
		keepRaw(wantV, rawDataOf(t, input))
		require.Equal(t, wantV, v, "decodeEvent[%s]: the data differs from the reflective decoder's\nbody: %q", name, input)

		parsed, envelopeAnomalies, err := parseEvent(input)
		require.NoError(t, err, "decodeEvent[%s] accepted a body ParseEvent refuses\nbody: %q", name, input)
		require.Empty(t, envelopeAnomalies, "decodeEvent[%s] accepted an envelope with anomalies\nbody: %q", name, input)
		tolerant, anomalies, err := decodeRecord[T](parsed, sh, nil)
		require.NoError(t, err, "decodeEvent[%s] accepted data the tolerant decoder refuses\nbody: %q", name, input)
		require.Empty(t, anomalies, "decodeEvent[%s] accepted data with anomalies\nbody: %q", name, input)
		// ParseEvent substitutes text a store cannot hold; the Handler
		// gives decodeEvent a body that had it already.
		_, stored, ok := decodeEvent(storableJSON(input), eventType, data)
		require.True(t, ok, "decodeEvent[%s] refused the body after the text substitution\nbody: %q", name, input)
		require.Equal(t, tolerant, stored, "decodeEvent[%s]: the data differs from the tolerant decoder's\nbody: %q", name, input)
	}

	e := &Event{Type: eventType, Data: input}
	strictErr := reflectiveError[T](input)
	want, wantAnomalies, wantErr := unmarshalData[T](e)
	if strictErr == nil {
		strict := new(T)
		require.NoError(t, json.Unmarshal(input, strict, decodeOptions))
		require.NoError(t, wantErr, "the tolerant decoder refused data the strict one accepts\ndata: %q", input)
		require.Empty(t, wantAnomalies, "the tolerant decoder found anomalies in data the strict one accepts\ndata: %q", input)
		require.Equal(t, strict, want, "the tolerant decoder differs from the strict one\ndata: %q", input)
	}
	s := scanner{buf: input}
	got := new(T)
	data(&s, got)
	s.end()
	if !s.failed {
		require.NoError(t, strictErr, "the %s scanner accepted data the reflective decoder refuses\ndata: %q", name, input)
		require.Equal(t, want, got, "the %s scanner: the data differs from the reflective decoder's\ndata: %q", name, input)
	}

	// decodeFast is the scanner above with the reflective decoder behind
	// it: it must answer as the reflective decoder alone does, after the
	// text substitution, and keep the data as Raw.
	viaFast, err := decodeFast(e, sh, data)
	stored := &Event{Type: eventType, Data: storableJSON(input)}
	if want, wantAnomalies, wantErr = unmarshalData[T](stored); wantErr == nil {
		keepRaw(want, stored.Data)
	}
	if wantErr != nil {
		require.EqualError(t, err, wantErr.Error(), "decodeFast[%s] and unmarshalData disagree\ndata: %q", name, input)
		require.Nil(t, viaFast)
		return
	}
	require.NoError(t, err, "decodeFast[%s] refused data unmarshalData accepts\ndata: %q", name, input)
	require.Equal(t, want, viaFast, "decodeFast[%s] differs from unmarshalData\ndata: %q", name, input)
	_, viaFastAnomalies, _ := decodeRecord(e, sh, data)
	require.Equal(t, wantAnomalies, viaFastAnomalies, "decodeRecord[%s] and unmarshalData disagree on the anomalies\ndata: %q", name, input)
}

// rawDataOf returns the bytes of the data of the webhook body payload.
func rawDataOf(t *testing.T, payload []byte) []byte {
	t.Helper()
	var w wireEvent[jsontext.Value]
	require.NoError(t, json.Unmarshal(payload, &w, decodeOptions))
	require.NotNil(t, w.Data)
	return *w.Data
}

// keptEnvelope returns e without what decodeEvent checks but does not
// keep: the instance id and the event attributes.
func keptEnvelope(e *Event) *Event {
	kept := *e
	kept.InstanceID = ""
	kept.EventAttributes = nil
	return &kept
}

// reflectiveError is the reflective decoder's complaint about input as a
// T, for failure messages.
func reflectiveError[T any](input []byte) error {
	return json.Unmarshal(input, new(T), decodeOptions)
}

// FuzzFastDecode holds the hand decoder to the reflective one on arbitrary
// bytes, as webhook bodies and as the data of User, Organization and
// OrganizationMembership events: wherever the hand decoder succeeds, the
// reflective decoder must succeed with a deeply equal result (nil and empty
// slices and the bytes of raw metadata included). Giving up is allowed.
func FuzzFastDecode(f *testing.F) {
	for _, seed := range fastDecodeSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		for _, d := range handDecoders {
			d.differential(t, input)
		}
	})
}

// fastDecodeSeeds are every fixture, pretty and compact, as a body, as a
// body of the type the fuzz target asks for, as bare data, with its values
// nulled, and drifted; and the tricky inputs of TestFastDecodeTricky and
// TestFastDecodeEnvelope.
func fastDecodeSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	updated := map[shape]string{}
	for _, d := range handDecoders {
		updated[eventShapes[d.eventType]] = d.eventType
	}
	var seeds [][]byte
	for _, fx := range eventFixtureFiles(tb) {
		e, err := ParseEvent(fx.body)
		require.NoError(tb, err, fx.name)
		target, handled := updated[eventShapes[e.Type]]
		for _, body := range [][]byte{fx.body, compacted(tb, fx.body)} {
			seeds = append(seeds, body)
			if handled {
				seeds = append(seeds, bytes.ReplaceAll(body, []byte(`"`+e.Type+`"`), []byte(`"`+target+`"`)))
			}
		}
		seeds = append(seeds, e.Data, compacted(tb, e.Data))
		if handled {
			for _, data := range nulledVariants(tb, compacted(tb, e.Data)) {
				seeds = append(seeds, data, envelopeOf(target, data))
			}
			for _, data := range driftedVariants(tb, compacted(tb, e.Data)) {
				seeds = append(seeds, data, envelopeOf(target, data))
			}
		}
	}
	for _, tc := range trickyCases {
		if len(tc.data) > 1<<12 {
			continue // deep nesting: slows the fuzzer, adds nothing to mutate
		}
		seeds = append(seeds, []byte(tc.data), envelopeOf(tc.eventType, []byte(tc.data)))
	}
	for _, tc := range envelopeCases {
		seeds = append(seeds, []byte(tc.body))
	}
	return seeds
}

// eventFixture is one file of testdata/events.
type eventFixture struct {
	name string
	body []byte
}

func eventFixtureFiles(tb testing.TB) []eventFixture {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	require.NoError(tb, err)
	require.NotEmpty(tb, paths)
	fixtures := make([]eventFixture, 0, len(paths))
	for _, p := range paths {
		body, err := os.ReadFile(p)
		require.NoError(tb, err)
		fixtures = append(fixtures, eventFixture{name: filepath.Base(p), body: body})
	}
	return fixtures
}

func compacted(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	require.NoError(tb, stdjson.Compact(&out, b))
	return out.Bytes()
}

func envelopeOf(eventType string, data []byte) []byte {
	return fmt.Appendf(nil, `{"type":%q,"object":"event","data":%s}`, eventType, data)
}

// nulledVariants returns data with its scalars null, and with its objects
// and arrays null at each depth in turn: null is the zero value of every
// field, and a pointer or slice that was set must be cleared.
func nulledVariants(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	isContainer := func(k jsontext.Kind) bool { return k == '{' || k == '[' }
	variants := [][]byte{nulled(tb, data, func(_ int, k jsontext.Kind) bool { return !isContainer(k) })}
	for depth := 1; depth <= 4; depth++ {
		variants = append(variants, nulled(tb, data, func(d int, k jsontext.Kind) bool { return d == depth && isContainer(k) }))
	}
	return variants
}

// driftedVariants returns data with values of the wrong kind, as Clerk's
// payloads sometimes carry them: its numbers in strings, its booleans in
// strings, its nested strings as numbers, and at each depth in turn its
// objects as lists and its lists as objects.
func driftedVariants(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	quoted := func(v jsontext.Value) jsontext.Value { return jsontext.Value(strconv.Quote(string(v))) }
	variants := [][]byte{
		rewritten(tb, data, func(_ int, k jsontext.Kind) bool { return k == '0' }, quoted),
		rewritten(tb, data, func(_ int, k jsontext.Kind) bool { return k == 't' || k == 'f' }, quoted),
		rewritten(tb, data, func(d int, k jsontext.Kind) bool { return d > 1 && k == '"' },
			func(jsontext.Value) jsontext.Value { return jsontext.Value("7") }),
	}
	swapped := func(v jsontext.Value) jsontext.Value {
		if v.Kind() == '{' {
			return jsontext.Value("[]")
		}
		return jsontext.Value("{}")
	}
	for depth := 1; depth <= 3; depth++ {
		variants = append(variants, rewritten(tb, data, func(d int, k jsontext.Kind) bool { return d == depth && (k == '{' || k == '[') }, swapped))
	}
	return variants
}

// nulled rewrites data with null for each value, not member name, that
// pick chooses by its nesting depth (1 for the members of data) and kind.
func nulled(tb testing.TB, data []byte, pick func(depth int, k jsontext.Kind) bool) []byte {
	tb.Helper()
	return rewritten(tb, data, pick, func(jsontext.Value) jsontext.Value { return jsontext.Value("null") })
}

// rewritten rewrites data with replace of each value, not member name, that
// pick chooses by its nesting depth (1 for the members of data) and kind.
func rewritten(tb testing.TB, data []byte, pick func(depth int, k jsontext.Kind) bool, replace func(jsontext.Value) jsontext.Value) []byte {
	tb.Helper()
	dec := jsontext.NewDecoder(bytes.NewReader(data), decodeOptions)
	var out bytes.Buffer
	enc := jsontext.NewEncoder(&out, decodeOptions)
	for {
		k := dec.PeekKind()
		if k == 0 {
			break
		}
		depth := dec.StackDepth()
		parent, n := dec.StackIndex(depth)
		isName := parent == '{' && n%2 == 0
		if depth > 0 && !isName && k != '}' && k != ']' && pick(depth, k) {
			v, err := dec.ReadValue()
			require.NoError(tb, err)
			require.NoError(tb, enc.WriteValue(replace(v)))
			continue
		}
		tok, err := dec.ReadToken()
		require.NoError(tb, err)
		require.NoError(tb, enc.WriteToken(tok))
	}
	return bytes.TrimSpace(out.Bytes())
}

// outcome is what the hand decoder should make of an input.
type outcome int

const (
	// accepts: both decoders succeed, with equal results.
	accepts outcome = iota
	// givesUp: the hand decoder gives up on valid input and leaves it to
	// the reflective decoder.
	givesUp
	// rejects: both decoders fail.
	rejects
)

// requireOutcome checks that the hand decoder's success and the reflective
// decoder's match the outcome.
func requireOutcome(t *testing.T, want outcome, fastOK, reflectiveOK bool, input []byte) {
	t.Helper()
	switch want {
	case accepts:
		require.True(t, fastOK, "the hand decoder gave up or refused\ninput: %q", input)
		require.True(t, reflectiveOK, "the reflective decoder refused\ninput: %q", input)
	case givesUp:
		require.False(t, fastOK, "the hand decoder should give up\ninput: %q", input)
		require.True(t, reflectiveOK, "the reflective decoder refused, so giving up is not the point\ninput: %q", input)
	case rejects:
		require.False(t, fastOK, "the hand decoder accepted invalid input\ninput: %q", input)
		require.False(t, reflectiveOK, "the reflective decoder accepted, so the input is not invalid\ninput: %q", input)
	}
}

// trickyCase is data that tests how the hand decoder of one shape treats
// duplicates, null, escapes, invalid UTF-8, numbers, nesting and syntax.
type trickyCase struct {
	name      string
	eventType string // picks the hand decoder
	data      string
	want      outcome
}

var trickyCases = func() []trickyCase {
	u, o, m := EventUserUpdated, EventOrganizationUpdated, EventOrganizationMembershipUpdated
	nest := func(n int) string { return strings.Repeat(`{"a":[`, n/2) + "0" + strings.Repeat("]}", n/2) }
	return []trickyCase{
		{"empty object", u, `{}`, accepts},
		{"white space everywhere", u, " \t\r\n{ \"id\" :\n\"a\" ,\t\"email_addresses\" : [ { \"id\" : \"b\" , \"linked_to\" : [ ] } ] , \"public_metadata\" : { \"k\" : [ 1 , 2 ] } }\r\n ", accepts},
		{"duplicate string", u, `{"id":"a","id":"b"}`, accepts},
		{"duplicate optional string then null", u, `{"username":"a","username":null}`, accepts},
		{"duplicate scalars then null", u, `{"id":"a","id":null,"banned":true,"banned":null,"created_at":5,"created_at":null,"mfa_enabled_at":5,"mfa_enabled_at":null}`, accepts},
		{"duplicate metadata then null", u, `{"public_metadata":{"a":1},"public_metadata":null}`, accepts},
		{"duplicate backup codes then null", u, `{"phone_numbers":[{"backup_codes":["a"],"backup_codes":null}]}`, accepts},
		{"duplicate verification merges", u, `{"email_addresses":[{"id":"a","verification":{"status":"x","attempts":1},"verification":{"strategy":"y"}}]}`, accepts},
		{"duplicate verification then null", u, `{"phone_numbers":[{"verification":{"status":"x"},"verification":null}]}`, accepts},
		{"duplicate verification error merges", u, `{"web3_wallets":[{"verification":{"error":{"code":"c","meta":{"a":1}},"error":{"message":"m"}}}]}`, accepts},
		{"duplicate slice replaces", u, `{"email_addresses":[{"id":"a"},{"id":"b"}],"email_addresses":[{"object":"c"}]}`, accepts},
		{"duplicate slice then empty", u, `{"passkeys":[{"id":"a"}],"passkeys":[]}`, accepts},
		{"duplicate slice then null", u, `{"passkeys":[{"id":"a"}],"passkeys":null}`, accepts},
		{"duplicate scim merges", u, `{"scim":{"directory_id":"a"},"scim":{"external_id":"b"}}`, accepts},
		{"duplicate metadata replaces", u, `{"public_metadata":{"a":1},"public_metadata":[true]}`, accepts},
		{"null everywhere", u, `{"id":null,"object":null,"external_id":null,"username":null,"has_image":null,"public_metadata":null,"email_addresses":[null,{"id":null,"verification":null,"linked_to":[null]}],"phone_numbers":[{"backup_codes":[null,"a"]}],"web3_wallets":null,"passkeys":[{"last_used_at":null}],"external_accounts":[{"email_address_verified":null,"verification":{"attempts":null,"expire_at":null,"error":null}}],"saml_accounts":[{"saml_connection":null,"last_authenticated_at":null}],"enterprise_accounts":[{"enterprise_connection":{"domains":[null]}}],"organization_memberships":[{"organization":null,"public_user_data":null}],"mfa_enabled_at":null,"created_at":null,"create_organizations_limit":null,"scim":null}`, accepts},
		{"escapes", u, `{"first_name":"Ren\u00e9e \"R\" \\ \/ \b\f\n\r\t \u0000 \u20ac","image_url":"https:\/\/example.com\/a"}`, accepts},
		{"non-ASCII", u, `{"first_name":"Zoë Ångström 🌸","last_name":"Ní Bhriain"}`, accepts},
		{"surrogate pair", u, `{"first_name":"\ud83c\udf38"}`, givesUp},
		{"lone surrogate", u, `{"first_name":"\ud800"}`, givesUp},
		{"lone low surrogate", u, `{"last_name":"a\udc00b"}`, givesUp},
		{"surrogate in metadata", u, `{"public_metadata":{"k":"\ud800"}}`, accepts},
		{"surrogate in an unknown member", u, `{"nickname":"\ud83c\udf38"}`, accepts},
		{"invalid UTF-8 in a string", u, "{\"first_name\":\"a\xffb\"}", givesUp},
		{"invalid UTF-8 after an escape", u, "{\"first_name\":\"\\n\xc3\"}", givesUp},
		{"truncated UTF-8 sequence", u, "{\"id\":\"\xe2\x82\"}", givesUp},
		{"invalid UTF-8 in an unknown key", u, "{\"\xff\":1,\"id\":\"a\"}", accepts},
		{"invalid UTF-8 in a known key", u, "{\"id\xff\":\"a\"}", accepts},
		{"invalid UTF-8 in metadata", u, "{\"public_metadata\":{\"\xfe\":\"\xff\"}}", accepts},
		{"escaped key", u, `{"\u0069d":"a"}`, givesUp},
		{"key of another case", u, `{"ID":"a","Banned":true}`, accepts},
		{"bad escape", u, `{"first_name":"a\qb"}`, rejects},
		{"short unicode escape", u, `{"first_name":"\u00e"}`, rejects},
		{"raw control character", u, "{\"first_name\":\"a\tb\"}", rejects},
		{"unterminated string", u, `{"first_name":"a`, rejects},
		{"minus zero", u, `{"created_at":-0,"mfa_enabled_at":-0}`, accepts},
		{"largest int64", u, `{"created_at":9223372036854775807,"lockout_expires_in_seconds":9223372036854775807}`, accepts},
		{"smallest int64", u, `{"updated_at":-9223372036854775808,"create_organizations_limit":-9223372036854775808}`, accepts},
		{"int64 overflow", u, `{"created_at":9223372036854775808}`, rejects},
		{"int64 underflow", u, `{"created_at":-9223372036854775809}`, rejects},
		{"uint64 overflow", u, `{"created_at":18446744073709551616}`, rejects},
		{"exponent", u, `{"created_at":1e3}`, rejects},
		{"fraction", u, `{"created_at":1.0}`, rejects},
		{"leading zero", u, `{"created_at":01}`, rejects},
		{"bare minus", u, `{"created_at":-}`, rejects},
		{"number as string", u, `{"created_at":"1"}`, rejects},
		{"numbers in metadata", u, `{"public_metadata":{"a":-0,"b":1e3,"c":1.0,"d":9223372036854775808,"e":-1.5E-7}}`, accepts},
		{"bad number in metadata", u, `{"public_metadata":{"a":1.}}`, rejects},
		{"string for a bool", u, `{"banned":"true"}`, rejects},
		{"object for a slice", u, `{"email_addresses":{}}`, rejects},
		{"array for an object", u, `{"scim":[]}`, rejects},
		{"number for a string", u, `{"id":1}`, rejects},
		{"trailing comma in object", u, `{"id":"a",}`, rejects},
		{"trailing comma in array", u, `{"email_addresses":[{"id":"a"},]}`, rejects},
		{"trailing comma in metadata", u, `{"public_metadata":[1,]}`, rejects},
		{"missing comma", u, `{"id":"a" "object":"user"}`, rejects},
		{"missing colon", u, `{"id" "a"}`, rejects},
		{"trailing garbage", u, `{"id":"a"}x`, rejects},
		{"second value", u, `{"id":"a"} {}`, rejects},
		{"bad literal", u, `{"banned":tru}`, rejects},
		{"nesting at the limit", u, `{"public_metadata":` + nest(maxScanDepth) + `}`, accepts},
		{"nesting past the limit", u, `{"public_metadata":` + nest(maxScanDepth+2) + `}`, givesUp},
		{"nesting past the reflective limit", u, `{"public_metadata":` + nest(10002) + `}`, rejects},
		{"google_account shape", u, `{"external_accounts":[{"object":"google_account","google_id":"1","given_name":"a","family_name":"b","picture":"p"}]}`, accepts},
		{"google keys beside the newer keys", u, `{"external_accounts":[{"provider_user_id":"1","google_id":"2","first_name":"","given_name":"g","image_url":null,"picture":"p","image_url":"i"}]}`, accepts},
		{"google keys then null", u, `{"external_accounts":[{"google_id":"1","google_id":null,"picture":"p","picture":null,"image_url":""}]}`, accepts},
		{"google key of the wrong kind", u, `{"external_accounts":[{"google_id":1}]}`, rejects},
		{"google key with a surrogate pair", u, `{"external_accounts":[{"given_name":"\ud83c\udf38"}]}`, givesUp},
		{"organization nulls", o, `{"slug":"a","slug":null,"members_count":1,"members_count":null,"max_allowed_memberships":null,"image_url":null,"last_active_at":null}`, accepts},
		{"organization int overflow", o, `{"max_allowed_memberships":9223372036854775808}`, rejects},
		{"membership organization merges", m, `{"organization":{"id":"o","name":"n"},"organization":{"slug":"s"}}`, accepts},
		{"membership organization then null", m, `{"organization":{"id":"o"},"organization":null}`, accepts},
		{"membership user data merges", m, `{"public_user_data":{"user_id":"u"},"public_user_data":{"first_name":"f"}}`, accepts},
		{"membership permissions then null", m, `{"permissions":["a"],"permissions":null}`, accepts},
		{"membership permission null", m, `{"permissions":[null,"b"]}`, accepts},
		{"membership organization as string", m, `{"organization":"o"}`, rejects},
	}
}()

// TestFastDecodeTricky checks the outcome of tricky data, bare and in an
// envelope, and that whatever the hand decoder accepts equals the
// reflective decoder's result.
func TestFastDecodeTricky(t *testing.T) {
	byType := map[string]handDecoder{}
	for _, d := range handDecoders {
		byType[d.eventType] = d
	}
	for _, tc := range trickyCases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			body := envelopeOf(tc.eventType, data)
			for _, d := range handDecoders {
				d.differential(t, data)
				d.differential(t, body)
			}
			fastOK, reflectiveOK := decodeBoth(byType[tc.eventType], body)
			requireOutcome(t, tc.want, fastOK, reflectiveOK, body)
			fastOK, reflectiveOK = decodeBothData(byType[tc.eventType], data)
			requireOutcome(t, tc.want, fastOK, reflectiveOK, data)
		})
	}
}

// decodeBoth reports whether each decoder accepts body as an event of d's
// type.
func decodeBoth(d handDecoder, body []byte) (fastOK, reflectiveOK bool) {
	switch d.eventType {
	case EventUserUpdated:
		return okOf(decodeEvent(body, d.eventType, (*scanner).user)), okOf(decodeTyped[User](body, d.eventType))
	case EventOrganizationUpdated:
		return okOf(decodeEvent(body, d.eventType, (*scanner).organization)), okOf(decodeTyped[Organization](body, d.eventType))
	default:
		return okOf(decodeEvent(body, d.eventType, (*scanner).organizationMembership)), okOf(decodeTyped[OrganizationMembership](body, d.eventType))
	}
}

func okOf(_ *Event, _ any, ok bool) bool { return ok }

// decodeBothData reports whether each decoder accepts data as d's shape.
func decodeBothData(d handDecoder, data []byte) (fastOK, reflectiveOK bool) {
	switch d.eventType {
	case EventUserUpdated:
		return scans(data, (*scanner).user), reflectiveError[User](data) == nil
	case EventOrganizationUpdated:
		return scans(data, (*scanner).organization), reflectiveError[Organization](data) == nil
	default:
		return scans(data, (*scanner).organizationMembership), reflectiveError[OrganizationMembership](data) == nil
	}
}

// scans reports whether the hand decoder reads all of data as a T.
func scans[T any](data []byte, read func(*scanner, *T)) bool {
	s := scanner{buf: data}
	read(&s, new(T))
	s.end()
	return !s.failed
}

// envelopeCase is a webhook body for decodeEvent[User] with event type
// user.updated.
type envelopeCase struct {
	name string
	body string
	want outcome
}

var envelopeCases = []envelopeCase{
	{"minimal", `{"type":"user.updated","data":{}}`, accepts},
	{"full envelope", `{"data":{"id":"u"},"event_attributes":{"http_request":{"client_ip":"::1","user_agent":"ua"}},"instance_id":"ins_1","object":"event","timestamp":1773148500964,"type":"user.updated"}`, accepts},
	{"white space everywhere", " \n{\t\"type\" : \"user.updated\" ,\r\n\"data\" : { } , \"timestamp\" : 1 } \n", accepts},
	{"escaped type", `{"type":"user.updat\u0065d","data":{}}`, accepts},
	{"escaped key", `{"typ\u0065":"user.updated","data":{}}`, givesUp},
	{"unknown members of every kind", "{\"type\":\"user.updated\",\"data\":{},\"x\":[1,-0.5e+3,{\"a\":[true,false,null]},\"\\ud800\",\"\xff\"],\"\xfe\":{}}", accepts},
	{"data null", `{"type":"user.updated","data":null}`, rejects},
	{"no data", `{"type":"user.updated"}`, rejects},
	{"data not an object", `{"type":"user.updated","data":[]}`, rejects},
	{"other type", `{"type":"user.created","data":{}}`, rejects},
	{"no type", `{"data":{}}`, rejects},
	{"type null", `{"type":null,"data":{}}`, rejects},
	{"duplicate type, last wins", `{"type":"user.created","type":"user.updated","data":{}}`, accepts},
	{"duplicate type, last loses", `{"type":"user.updated","data":{},"type":"user.created"}`, rejects},
	{"duplicate data", `{"type":"user.updated","data":{"id":"a","username":"u"},"data":{"object":"user"}}`, givesUp},
	{"data null, then data", `{"type":"user.updated","data":null,"data":{"id":"a"}}`, accepts},
	{"duplicate data then null", `{"type":"user.updated","data":{"id":"a"},"data":null}`, rejects},
	{"duplicate event attributes merge", `{"type":"user.updated","data":{},"event_attributes":{"http_request":{"client_ip":"a"}},"event_attributes":{"http_request":{"user_agent":"b"}}}`, accepts},
	{"event attributes null", `{"type":"user.updated","data":{},"event_attributes":{"http_request":{}},"event_attributes":null}`, accepts},
	{"http request null", `{"type":"user.updated","data":{},"event_attributes":{"http_request":null}}`, accepts},
	{"event attributes not an object", `{"type":"user.updated","data":{},"event_attributes":[]}`, rejects},
	{"event attributes a string", `{"type":"user.updated","data":{},"event_attributes":"a"}`, rejects},
	{"http request not an object", `{"type":"user.updated","data":{},"event_attributes":{"http_request":1}}`, rejects},
	{"client ip not a string", `{"type":"user.updated","data":{},"event_attributes":{"http_request":{"client_ip":1}}}`, rejects},
	{"user agent not a string", `{"type":"user.updated","data":{},"event_attributes":{"http_request":{"user_agent":{}}}}`, rejects},
	{"user agent null", `{"type":"user.updated","data":{},"event_attributes":{"http_request":{"user_agent":null}}}`, accepts},
	{"unknown event attributes", "{\"type\":\"user.updated\",\"data\":{},\"event_attributes\":{\"x\":[1],\"http_request\":{\"y\":{},\"client_ip\":\"\\ud800\xff\"}}}", accepts},
	{"instance id", `{"type":"user.updated","data":{},"instance_id":"ins_1"}`, accepts},
	{"instance id null", `{"type":"user.updated","data":{},"instance_id":null}`, accepts},
	{"instance id invalid UTF-8", "{\"type\":\"user.updated\",\"data\":{},\"instance_id\":\"\xff\\ud800\"}", accepts},
	{"instance id not a string", `{"type":"user.updated","data":{},"instance_id":1}`, rejects},
	{"instance id an object", `{"type":"user.updated","data":{},"instance_id":{}}`, rejects},
	{"instance id a bad string", `{"type":"user.updated","data":{},"instance_id":"\q"}`, rejects},
	{"timestamp minus zero", `{"type":"user.updated","data":{},"timestamp":-0}`, accepts},
	{"timestamp null", `{"type":"user.updated","data":{},"timestamp":null}`, accepts},
	{"timestamp fraction", `{"type":"user.updated","data":{},"timestamp":1.5}`, rejects},
	{"timestamp string", `{"type":"user.updated","data":{},"timestamp":"1"}`, rejects},
	{"object not a string", `{"type":"user.updated","data":{},"object":1}`, rejects},
	{"trailing comma", `{"type":"user.updated","data":{},}`, rejects},
	{"trailing garbage", `{"type":"user.updated","data":{}}x`, rejects},
	{"second value", `{"type":"user.updated","data":{}}{}`, rejects},
	{"byte order mark", "\xef\xbb\xbf{\"type\":\"user.updated\",\"data\":{}}", rejects},
	{"array", `[{"type":"user.updated","data":{}}]`, rejects},
	{"null", `null`, rejects},
	{"empty", ``, rejects},
	{"white space only", " \n", rejects},
	{"open brace", `{`, rejects},
	{"data unterminated", `{"type":"user.updated","data":{"id":"a"`, rejects},
}

// TestFastDecodeEnvelope checks how decodeEvent reads the envelope: its
// outcome, and equality with the reflective decoder when both succeed.
func TestFastDecodeEnvelope(t *testing.T) {
	for _, tc := range envelopeCases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			for _, d := range handDecoders {
				d.differential(t, body)
			}
			fastOK, reflectiveOK := decodeBoth(handDecoders[0], body)
			requireOutcome(t, tc.want, fastOK, reflectiveOK, body)
		})
	}
}

// TestFastDecodeFixtures requires the hand decoder to read every fixture
// of its shapes without giving up, equal to the reflective decoder: giving
// up on what Clerk really sends would make it pointless.
func TestFastDecodeFixtures(t *testing.T) {
	handled := 0
	for _, fx := range eventFixtureFiles(t) {
		e, err := ParseEvent(fx.body)
		require.NoError(t, err, fx.name)
		for _, d := range handDecoders {
			if eventShapes[e.Type] != eventShapes[d.eventType] {
				continue
			}
			handled++
			t.Run(fx.name, func(t *testing.T) {
				for _, body := range [][]byte{fx.body, compacted(t, fx.body)} {
					retyped := bytes.ReplaceAll(body, []byte(`"`+e.Type+`"`), []byte(`"`+d.eventType+`"`))
					fastOK, reflectiveOK := decodeBoth(d, retyped)
					requireOutcome(t, accepts, fastOK, reflectiveOK, retyped)
					d.differential(t, retyped)
				}
				fastOK, reflectiveOK := decodeBothData(d, e.Data)
				requireOutcome(t, accepts, fastOK, reflectiveOK, e.Data)
				d.differential(t, e.Data)
			})
		}
	}
	require.GreaterOrEqual(t, handled, 13, "fixtures of users, organizations and memberships")
}

// TestFastDecodeDrift guards against a field added to a shape and forgotten
// by its hand decoder, or read into the wrong field: for each hand-decoded
// shape it builds a value with every exported field set, recursively,
// encodes it with the reflective encoder, and requires decodeEvent and the
// bare scanner to read it back without giving up, equal to the reflective
// decoder and to the original.
func TestFastDecodeDrift(t *testing.T) {
	for _, d := range handDecoders {
		t.Run(d.name, d.drift)
	}
}

func requireNoDrift[T any](t *testing.T, eventType string, data func(*scanner, *T)) {
	// The first fill counts the booleans; each variant after it sets them
	// to one bit of their index, so that two swapped booleans differ in
	// some variant.
	probe := &filler{}
	probe.fill(t, reflect.ValueOf(new(wireEvent[T])).Elem(), "wireEvent")
	variants := []*filler{{}, {escape: true}}
	for bit := range bits.Len(uint(probe.bools)) {
		variants = append(variants, &filler{boolBit: bit + 1})
	}
	for _, f := range variants {
		w := new(wireEvent[T])
		f.fill(t, reflect.ValueOf(w).Elem(), "wireEvent")
		w.Type = eventType
		body, err := json.Marshal(w)
		require.NoError(t, err)
		dataJSON, err := json.Marshal(w.Data)
		require.NoError(t, err)

		evt, v, ok := decodeEvent(body, eventType, data)
		require.True(t, ok, "decodeEvent gave up on a value with every field set\nbody: %s", body)
		raw := v.(rawHolder).rawData()
		require.Equal(t, string(dataJSON), string(raw), "decodeEvent's Raw is not the data's bytes")
		v.(rawHolder).setRaw(nil)
		wantEvt, wantV, wantOK := decodeTyped[T](body, eventType)
		require.True(t, wantOK, "the reflective decoder refused %s", body)
		require.Equal(t, keptEnvelope(wantEvt), evt, "the envelope differs from the reflective decoder's\nbody: %s", body)
		require.Equal(t, wantV, v, "the data differs from the reflective decoder's: a field forgotten or misread?\nbody: %s", body)
		require.Equal(t, w.event(nil), wantEvt, "the envelope does not survive a round trip")
		require.Equal(t, w.Data, wantV, "the data does not survive a round trip")

		s := scanner{buf: dataJSON}
		got := new(T)
		data(&s, got)
		s.end()
		require.False(t, s.failed, "the scanner gave up on data with every field set\ndata: %s", dataJSON)
		require.Equal(t, w.Data, got, "the scanner misread data with every field set\ndata: %s", dataJSON)
	}
}

// filler sets every exported field of a value, each leaf to a value of its
// own: strings and numbers from a counter, so that a field read into
// another shows.
type filler struct {
	n, bools int
	// boolBit, when not 0, sets each boolean to bit boolBit-1 of its index
	// rather than to true.
	boolBit int
	// escape puts in every string characters that JSON escapes, and
	// non-ASCII ones.
	escape bool
}

func (f *filler) fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			// Raw (json:"-") is not on the wire.
			if sf := v.Type().Field(i); sf.IsExported() && sf.Tag.Get("json") != "-" {
				f.fill(t, v.Field(i), path+"."+sf.Name)
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(t, v.Elem(), path)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[stdjson.RawMessage]() {
			f.n++
			v.SetBytes(fmt.Appendf(nil, `{"k":%d}`, f.n))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		f.fill(t, v.Index(0), path+"[0]")
	case reflect.String:
		f.n++
		s := fmt.Sprintf("%s#%d", path, f.n)
		if f.escape {
			s += " \"quoted\" back\\slash /slash\n\ttab é € 🌸 \u2028 \x7f <&>"
		}
		v.SetString(s)
	case reflect.Bool:
		f.bools++
		v.SetBool(f.boolBit == 0 || f.bools>>(f.boolBit-1)&1 == 1)
	case reflect.Int, reflect.Int64:
		f.n++
		v.SetInt(int64(1_000_000_000_000 + f.n))
	default:
		t.Fatalf("%s: the drift guard cannot fill a %s; teach it, and the hand decoder, this kind", path, v.Type())
	}
}

// scanCase is an input for one scanner reader, with the outcome expected
// and, when it accepts, the value.
type scanCase[T any] struct {
	in   string
	want T
	out  outcome
}

// runScanCases reads each input with read, then requires the end of
// input, and checks the outcome against the reflective decoder reading
// the same input into a T.
func runScanCases[T any](t *testing.T, read func(*scanner, *T), cases []scanCase[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%.40q", tc.in), func(t *testing.T) {
			in := []byte(tc.in)
			s := scanner{buf: in}
			var got T
			read(&s, &got)
			s.end()
			var ref T
			refErr := json.Unmarshal(in, &ref, decodeOptions)
			requireOutcome(t, tc.out, !s.failed, refErr == nil, in)
			if tc.out == accepts {
				require.Equal(t, tc.want, got)
				require.Equal(t, ref, got, "the reflective decoder reads it otherwise")
			}
		})
	}
}

// TestScannerString checks strings: escapes, UTF-8, null, syntax.
func TestScannerString(t *testing.T) {
	runScanCases(t, (*scanner).string, []scanCase[string]{
		{`"abc"`, "abc", accepts},
		{`""`, "", accepts},
		{` "a" `, "a", accepts},
		{`null`, "", accepts},
		{`"é€🌸"`, "é€🌸", accepts},
		{`"long plain ASCII spanning several words of eight bytes"`, "long plain ASCII spanning several words of eight bytes", accepts},
		{`"Ren\u00e9e"`, "Renée", accepts},
		{`"\u20AC\u00E9"`, "€é", accepts},
		{`"https:\/\/example.com"`, "https://example.com", accepts},
		{`"\"\\\/\b\f\n\r\t"`, "\"\\/\b\f\n\r\t", accepts},
		{`"\u0000"`, "\x00", accepts},
		{`"a\u0041é\n"`, "aAé\n", accepts},
		{`"\ud83c\udf38"`, "", givesUp},
		{`"\ud800"`, "", givesUp},
		{`"\udfff"`, "", givesUp},
		{"\"a\xffb\"", "", givesUp},
		{"\"\xc3\"", "", givesUp},
		{"\"\xed\xa0\x80\"", "", givesUp},
		{"\"\\t\xff\"", "", givesUp},
		{``, "", rejects},
		{`"`, "", rejects},
		{`"abc`, "", rejects},
		{`"a\`, "", rejects},
		{`"\u12"`, "", rejects},
		{`"\u12G4"`, "", rejects},
		{`"\x41"`, "", rejects},
		{`"\'"`, "", rejects},
		{"\"a\nb\"", "", rejects},
		{"\"\x00\"", "", rejects},
		{`'a'`, "", rejects},
		{`"a" "b"`, "", rejects},
		{`nul`, "", rejects},
		{`nullx`, "", rejects},
		{`1`, "", rejects},
		{`true`, "", rejects},
	})
}

// TestScannerOptString checks that null clears an optional string.
func TestScannerOptString(t *testing.T) {
	a := "a"
	runScanCases(t, (*scanner).optString, []scanCase[*string]{
		{`null`, nil, accepts},
		{`"a"`, &a, accepts},
		{`"\ud800"`, nil, givesUp},
		{`1`, nil, rejects},
	})
}

// TestScannerBool checks booleans and their null.
func TestScannerBool(t *testing.T) {
	runScanCases(t, (*scanner).bool, []scanCase[bool]{
		{`true`, true, accepts},
		{`false`, false, accepts},
		{` null `, false, accepts},
		{``, false, rejects},
		{`tru`, false, rejects},
		{`truex`, false, rejects},
		{`True`, false, rejects},
		{`"true"`, false, rejects},
		{`1`, false, rejects},
		{`fals`, false, rejects},
	})
	yes := true
	runScanCases(t, (*scanner).optBool, []scanCase[*bool]{
		{`null`, nil, accepts},
		{`true`, &yes, accepts},
		{`0`, nil, rejects},
	})
}

// TestScannerInt64 checks integers at and past the bounds of int64, and
// the number forms an integer field refuses.
func TestScannerInt64(t *testing.T) {
	runScanCases(t, number[int64], []scanCase[int64]{
		{`0`, 0, accepts},
		{`-0`, 0, accepts},
		{`7`, 7, accepts},
		{`-7`, -7, accepts},
		{` 1773148500964 `, 1773148500964, accepts},
		{`null`, 0, accepts},
		{`9223372036854775807`, 1<<63 - 1, accepts},
		{`-9223372036854775808`, -1 << 63, accepts},
		{`922337203685477580`, 922337203685477580, accepts},
		{`9223372036854775808`, 0, rejects},
		{`-9223372036854775809`, 0, rejects},
		{`9223372036854775810`, 0, rejects},
		{`18446744073709551615`, 0, rejects},
		{`18446744073709551616`, 0, rejects},
		{`99999999999999999999999`, 0, rejects},
		{`1e3`, 0, rejects},
		{`1E3`, 0, rejects},
		{`1.0`, 0, rejects},
		{`-0.0`, 0, rejects},
		{`01`, 0, rejects},
		{`-01`, 0, rejects},
		{`00`, 0, rejects},
		{`-`, 0, rejects},
		{`+1`, 0, rejects},
		{`--1`, 0, rejects},
		{`.5`, 0, rejects},
		{`"1"`, 0, rejects},
		{`1x`, 0, rejects},
		{``, 0, rejects},
		{`true`, 0, rejects},
	})
	// int is int64 on the platforms Go supports for servers; UnixMilli is
	// an int64 of another name.
	runScanCases(t, number[int], []scanCase[int]{
		{`9223372036854775807`, 1<<63 - 1, accepts},
		{`9223372036854775808`, 0, rejects},
	})
	ms := UnixMilli(1773148500964)
	runScanCases(t, optNumber[UnixMilli], []scanCase[*UnixMilli]{
		{`null`, nil, accepts},
		{`1773148500964`, &ms, accepts},
		{`1.5`, nil, rejects},
	})
}

// TestScannerList checks arrays: empty is not nil, null is nil.
func TestScannerList(t *testing.T) {
	read := func(s *scanner, p *[]string) { list(s, p, (*scanner).string) }
	runScanCases(t, read, []scanCase[[]string]{
		{`[]`, []string{}, accepts},
		{` [ ] `, []string{}, accepts},
		{`null`, nil, accepts},
		{`["a"]`, []string{"a"}, accepts},
		{` [ "a" , null , "b" ] `, []string{"a", "", "b"}, accepts},
		{`["\ud800"]`, nil, givesUp},
		{`[`, nil, rejects},
		{`["a"`, nil, rejects},
		{`["a",]`, nil, rejects},
		{`[,"a"]`, nil, rejects},
		{`["a" "b"]`, nil, rejects},
		{`["a"]]`, nil, rejects},
		{`[1]`, nil, rejects},
		{`{}`, nil, rejects},
		{``, nil, rejects},
	})
}

// TestScannerSkip checks that skip, through raw, consumes every kind of
// JSON value and checks its syntax as the reflective decoder does, and
// that raw keeps the value's bytes.
func TestScannerSkip(t *testing.T) {
	raw := func(s *scanner, p *stdjson.RawMessage) { *p = s.raw() }
	cases := []scanCase[stdjson.RawMessage]{}
	for _, in := range []string{
		`null`, `true`, `false`,
		`0`, `-0`, `7`, `-12`, `1.5`, `-0.0`, `1e3`, `1E+3`, `1e-3`, `2.5E-07`, `9223372036854775808`, `123456789012345678901234567890`,
		`""`, `"a"`, `"\"\\\/\b\f\n\r\t\u0041"`, `"\ud800"`, `"\ud83c\udf38"`, "\"\xff\xfe\"", `"é"`,
		`{}`, `[]`, `{ }`, `[ ]`, `{"a":1}`, `{"a" : [ 1 , { "b" : null } ] , "c" : "d"}`, `[[[]],{},[{}]]`,
		`{"a":1,"a":2}`, "{\"\xff\":\"\xfe\"}", `{"\u0061":1}`,
	} {
		cases = append(cases, scanCase[stdjson.RawMessage]{in, stdjson.RawMessage(in), accepts})
	}
	cases = append(cases, scanCase[stdjson.RawMessage]{" \t{\"a\" : 1}\r\n", stdjson.RawMessage(`{"a" : 1}`), accepts})
	for _, in := range []string{
		``, ` `, `n`, `nul`, `nulll`, `tru`, `t`, `f`, `falsy`, `True`, `undefined`, `NaN`, `Infinity`, `-Infinity`,
		`-`, `+1`, `01`, `-01`, `1.`, `.1`, `1e`, `1e+`, `1.e3`, `0x1`, `1_000`, `--1`,
		`"`, `"a`, `"\`, `"\u`, `"\u123"`, `"\u123g"`, `"\a"`, "\"\x1f\"", "\"a\nb\"",
		`{`, `}`, `[`, `]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`, `{"a" 1}`, `{a:1}`, `{1:1}`, `{'a':1}`,
		`[1,]`, `[,]`, `[,1]`, `[1 2]`, `[1:2]`, `{"a":[}`, `[{]}`, `[1]]`, `{}}`, `{} {}`, `[] x`,
	} {
		cases = append(cases, scanCase[stdjson.RawMessage]{in, nil, rejects})
	}
	runScanCases(t, raw, cases)
}

// TestScannerDepthLimit checks that nesting past maxScanDepth makes the
// scanner give up, in bounded stack, rather than recurse on, and that the
// limit is not below what Clerk's metadata needs.
func TestScannerDepthLimit(t *testing.T) {
	raw := func(s *scanner, p *stdjson.RawMessage) { *p = s.raw() }
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	objects := func(n int) string { return strings.Repeat(`{"a":`, n-1) + "{}" + strings.Repeat("}", n-1) }
	// The reflective decoder refuses nesting past 10000.
	runScanCases(t, raw, []scanCase[stdjson.RawMessage]{
		{arrays(1), stdjson.RawMessage(arrays(1)), accepts},
		{arrays(maxScanDepth), stdjson.RawMessage(arrays(maxScanDepth)), accepts},
		{objects(maxScanDepth), stdjson.RawMessage(objects(maxScanDepth)), accepts},
		{arrays(maxScanDepth + 1), nil, givesUp},
		{objects(maxScanDepth + 1), nil, givesUp},
		{arrays(10000), nil, givesUp},
		{arrays(10001), nil, rejects},
	})
	for _, n := range []int{maxScanDepth + 1, 100_000, 1_000_000} {
		data := fmt.Appendf(nil, `{"public_metadata":%s}`, arrays(n))
		_, _, ok := decodeEvent(envelopeOf(EventUserUpdated, data), EventUserUpdated, (*scanner).user)
		require.False(t, ok, "decodeEvent should give up on metadata nested %d deep", n)
		require.False(t, scans(data, (*scanner).user), "the scanner should give up on metadata nested %d deep", n)
	}
	// Unterminated: the scanner must fail at the end of the input, not
	// read past it.
	require.False(t, scans([]byte(`{"public_metadata":`+strings.Repeat("[", maxScanDepth)), (*scanner).user))
}

// TestScannerTruncated checks every prefix of the fixtures of the three
// shapes, as bodies and as data: none is valid JSON, so none may be
// accepted, and none may make the scanner read past the end.
func TestScannerTruncated(t *testing.T) {
	for _, d := range handDecoders {
		name := d.eventType + ".json"
		pretty, err := os.ReadFile(filepath.Join("testdata", "events", name))
		require.NoError(t, err)
		e, err := ParseEvent(pretty)
		require.NoError(t, err)
		for _, in := range []struct {
			input  []byte
			isData bool
		}{
			{bytes.TrimSpace(pretty), false},
			{compacted(t, pretty), false},
			{bytes.TrimSpace(e.Data), true},
			{compacted(t, e.Data), true},
		} {
			for n := range len(in.input) {
				prefix := in.input[:n:n] // no capacity past n: reslicing cannot see past it either
				fastOK, _ := decodeBoth(d, prefix)
				require.False(t, fastOK, "%s: decodeEvent accepted the first %d bytes", name, n)
				if in.isData {
					fastOK, _ = decodeBothData(d, prefix)
					require.False(t, fastOK, "%s: the scanner accepted the first %d bytes of the data", name, n)
				}
			}
		}
	}
}

// TestScannerEmptyInput checks every reader on empty input.
func TestScannerEmptyInput(t *testing.T) {
	for name, read := range map[string]func(*scanner){
		"str":        func(s *scanner) { s.str() },
		"key":        func(s *scanner) { s.key() },
		"int64":      func(s *scanner) { s.int64() },
		"skip":       func(s *scanner) { s.skip() },
		"raw":        func(s *scanner) { s.raw() },
		"expect":     func(s *scanner) { s.expect('{') },
		"user":       func(s *scanner) { s.user(new(User)) },
		"membership": func(s *scanner) { s.organizationMembership(new(OrganizationMembership)) },
	} {
		t.Run(name, func(t *testing.T) {
			s := scanner{buf: []byte{}}
			read(&s)
			require.True(t, s.failed)
		})
	}
	for _, d := range handDecoders {
		fastOK, _ := decodeBoth(d, nil)
		require.False(t, fastOK, d.name)
	}
}

// BenchmarkDecode compares the decoders of a user.updated body: the hand
// decoder, the reflective one, and encoding/json.
//
// The reflective decoder keeps the strings it made, up to 256 bytes long,
// in a cache of its pooled decoder state, and reuses them when the same
// bytes come again: decoding one payload over and over makes almost no
// strings, so the "same" runs flatter it. The "varied" runs rotate 64
// payloads that differ in every free-form string (ids, email addresses,
// names, URLs), as real deliveries do; enum-like values, which recur in
// real traffic too, stay.
func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"user.updated", "user.updated.large"} {
		pretty, err := os.ReadFile(filepath.Join("testdata", "events", name+".json"))
		require.NoError(b, err)
		one := compacted(b, pretty)
		for _, set := range []struct {
			name     string
			payloads [][]byte
		}{
			{"same", [][]byte{one}},
			{"varied", payloadVariants(b, one, 64)},
		} {
			size := 0
			for _, p := range set.payloads {
				size += len(p)
			}
			for _, dec := range []struct {
				name   string
				decode func([]byte) bool
			}{
				{"fast", func(p []byte) bool { return okOf(decodeEvent(p, EventUserUpdated, (*scanner).user)) }},
				{"reflective", func(p []byte) bool { return okOf(decodeTyped[User](p, EventUserUpdated)) }},
				{"encoding-json", func(p []byte) bool {
					var w struct {
						Type string `json:"type"`
						Data User   `json:"data"`
					}
					return stdjson.Unmarshal(p, &w) == nil && w.Type == EventUserUpdated
				}},
			} {
				b.Run(name+"/"+set.name+"/"+dec.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(size / len(set.payloads)))
					i := 0
					for b.Loop() {
						if !dec.decode(set.payloads[i]) {
							b.Fatalf("%s failed", dec.name)
						}
						if i++; i == len(set.payloads) {
							i = 0
						}
					}
				})
			}
		}
	}
}

// enumLike matches the string values that recur from user to user, such
// as verification statuses and strategies, which payloadVariants keeps.
var enumLike = regexp.MustCompile(`^[a-z_.]*$`)

// payloadVariants returns n copies of body, each with its own ids, email
// addresses, names, URLs and other free-form strings, checked to decode.
func payloadVariants(tb testing.TB, body []byte, n int) [][]byte {
	tb.Helper()
	variants := make([][]byte, n)
	for i := range variants {
		dec := jsontext.NewDecoder(bytes.NewReader(body))
		var out bytes.Buffer
		enc := jsontext.NewEncoder(&out)
		for dec.PeekKind() != 0 {
			parent, length := dec.StackIndex(dec.StackDepth())
			isName := parent == '{' && length%2 == 0
			tok, err := dec.ReadToken()
			require.NoError(tb, err)
			if tok.Kind() == '"' && !isName && !enumLike.MatchString(tok.String()) {
				tok = jsontext.String(fmt.Sprintf("%s-%d", tok.String(), i))
			}
			require.NoError(tb, enc.WriteToken(tok))
		}
		variants[i] = bytes.TrimSpace(out.Bytes())
		evt, u, ok := decodeEvent(variants[i], EventUserUpdated, (*scanner).user)
		require.True(tb, ok, "variant %d", i)
		require.NotNil(tb, evt)
		if i > 0 {
			_, prev, _ := decodeEvent(variants[i-1], EventUserUpdated, (*scanner).user)
			require.NotEqual(tb, prev.(*User).ID, u.(*User).ID)
			require.NotEqual(tb, prev.(*User).PrimaryEmail(), u.(*User).PrimaryEmail())
		}
	}
	return variants
}
