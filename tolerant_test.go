package clerkhook

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// driftProbe is a type with the kinds of fields schemaPointer must tell
// apart: struct fields, lists, maps, raw JSON and embedded structs.
type driftProbe struct {
	Name    string                  `json:"name"`
	Count   int                     `json:"count"`
	Items   []Verification          `json:"items"`
	ByKey   map[string]Verification `json:"by_key"`
	Raw     jsontext.Value          `json:"raw"`
	Hidden  int                     `json:"-"`
	Untaged bool
	driftEmbedded
}

type driftEmbedded struct {
	Inner int `json:"inner"`
}

func TestSchemaPointer(t *testing.T) {
	for _, tc := range []struct {
		t       reflect.Type
		pointer jsontext.Pointer
		want    string
	}{
		{reflect.TypeFor[User](), "", ""},
		{reflect.TypeFor[User](), "/has_image", "/has_image"},
		{reflect.TypeFor[User](), "/email_addresses/0/verification/attempts", "/email_addresses/0/verification/attempts"},
		{reflect.TypeFor[User](), "/email_addresses/12/linked_to/3/id", "/email_addresses/12/linked_to/3/id"},
		{reflect.TypeFor[User](), "/public_metadata/zq-secret-key", "/public_metadata/*"},
		{reflect.TypeFor[User](), "/zq-unknown/has_image", "/*/*"},
		{reflect.TypeFor[User](), "/email_addresses/zq", "/email_addresses/*"},
		{reflect.TypeFor[User](), "/email_addresses/01", "/email_addresses/*"},
		{reflect.TypeFor[User](), "/email_addresses/-", "/email_addresses/*"},
		{reflect.TypeFor[User](), "/HasImage", "/*"},
		{reflect.TypeFor[User](), "/has_image/0", "/has_image/*"},
		{reflect.TypeFor[OrganizationMembership](), "/organization/members_count", "/organization/members_count"},
		{reflect.TypeFor[wireEvent[User]](), "/data/passkeys/0/name", "/data/passkeys/0/name"},
		{reflect.TypeFor[wireEvent[User]](), "/event_attributes/http_request/client_ip", "/event_attributes/http_request/client_ip"},
		{reflect.TypeFor[wireEvent[jsontext.Value]](), "/data/has_image", "/data/*"},
		{reflect.TypeFor[driftProbe](), "/items/1/attempts", "/items/1/attempts"},
		{reflect.TypeFor[driftProbe](), "/by_key/zq-secret/attempts", "/by_key/*/*"},
		{reflect.TypeFor[driftProbe](), "/raw/0", "/raw/*"},
		{reflect.TypeFor[driftProbe](), "/Hidden", "/*"},
		{reflect.TypeFor[driftProbe](), "/Untaged", "/Untaged"},
		{reflect.TypeFor[driftProbe](), "/inner", "/inner"},
		{reflect.TypeFor[driftProbe](), "/a~1b~0c", "/*"},
	} {
		t.Run(string(tc.pointer), func(t *testing.T) {
			assert.Equal(t, tc.want, schemaPointer(tc.t, tc.pointer))
		})
	}
}

// repeated returns n copies of item joined by commas.
func repeated(item string, n int) string {
	return strings.TrimSuffix(strings.Repeat(item+",", n), ",")
}

func TestUnmarshalTolerant(t *testing.T) {
	for _, tc := range []struct {
		name      string
		data      string
		into      any
		want      any
		anomalies []string
		err       string
	}{
		{name: "clean", data: `{"id":"user_1","has_image":true}`, into: &User{},
			want: &User{ID: "user_1", HasImage: true}},
		{name: "white space", data: " {\n \"id\" : \"user_1\" ,\t\"has_image\" :\r\n \"true\" , \"last_name\":\"L\"}\n", into: &User{},
			want: &User{ID: "user_1", LastName: ptr("L")}, anomalies: []string{"/has_image"}},
		{name: "repeated name, the first does not fit", data: `{"id":"user_1","has_image":"x","has_image":true}`, into: &User{},
			want: &User{ID: "user_1", HasImage: true}, anomalies: []string{"/has_image"}},
		{name: "repeated name, the last does not fit", data: `{"id":"user_1","has_image":true,"has_image":"x"}`, into: &User{},
			want: &User{ID: "user_1"}, anomalies: []string{"/has_image"}},
		{name: "both do not fit", data: `{"has_image":"x","id":"user_1","has_image":"y"}`, into: &User{},
			want: &User{ID: "user_1"}, anomalies: []string{"/has_image"}},
		{name: "escaped names", data: `{"id":"user_1","has\u005fimage":"x"}`, into: &User{},
			want: &User{ID: "user_1"}, anomalies: []string{"/has_image"}},
		{name: "null already", data: `{"id":"user_1","has_image":null}`, into: &User{}, want: &User{ID: "user_1"}},
		{name: "a list element", data: `{"email_addresses":[{"id":"idn_1"},7,{"id":"idn_3","reserved":"x"}]}`, into: &User{},
			want:      &User{EmailAddresses: []EmailAddress{{ID: "idn_1"}, {}, {ID: "idn_3"}}},
			anomalies: []string{"/email_addresses/1", "/email_addresses/2/reserved"}},
		{name: "as many as allowed", data: `{"email_addresses":[` + repeated(`{"reserved":"x"}`, maxAnomalies) + `]}`, into: &User{},
			want: &User{EmailAddresses: make([]EmailAddress, maxAnomalies)},
			anomalies: func() []string {
				var a []string
				for i := range maxAnomalies {
					a = append(a, fmt.Sprintf("/email_addresses/%d/reserved", i))
				}
				return a
			}()},
		{name: "one too many", data: `{"email_addresses":[` + repeated(`{"reserved":"x"}`, maxAnomalies+1) + `]}`, into: &User{},
			err: errTooManyAnomalies.Error()},
		{name: "map keys are never reported, and count", data: `{"by_key":{` + repeated(`"zq":{"attempts":"x"}`, maxAnomalies+1) + `}}`, into: &driftProbe{},
			err: errTooManyAnomalies.Error()},
		{name: "map keys are never reported", data: `{"by_key":{"zq-a":{"attempts":"x"},"zq-b":{"attempts":1.5}},"count":"1"}`, into: &driftProbe{},
			want: &driftProbe{ByKey: map[string]Verification{"zq-a": {}, "zq-b": {}}}, anomalies: []string{"/by_key/*/*", "/count"}},
		{name: "id", data: `{"id":7,"has_image":"x"}`, into: &User{}, err: "field /id"},
		{name: "updated_at after a drifted field", data: `{"has_image":"x","updated_at":"x"}`, into: &User{}, err: "field /updated_at"},
		{name: "membership's organization id", data: `{"organization":{"name":"Acme","id":7}}`, into: &OrganizationMembership{}, err: "field /organization/id"},
		{name: "membership's organization", data: `{"organization":[]}`, into: &OrganizationMembership{}, err: "field /organization:"},
		{name: "membership's user", data: `{"public_user_data":"user_1"}`, into: &OrganizationMembership{}, err: "field /public_user_data:"},
		{name: "membership's other fields", data: `{"organization":{"id":"org_1","updated_at":"x"},"public_user_data":{"user_id":"user_1","has_image":1}}`,
			into:      &OrganizationMembership{},
			want:      &OrganizationMembership{Organization: Organization{ID: "org_1"}, PublicUserData: PublicUserData{UserID: "user_1"}},
			anomalies: []string{"/organization/updated_at", "/public_user_data/has_image"}},
		{name: "not an object", data: `"user_1"`, into: &User{}, err: "JSON string where clerkhook.User was expected"},
		{name: "invalid JSON after a drifted field", data: `{"has_image":"x",}`, into: &User{}, err: "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.data)
			anomalies, err := unmarshalTolerant(data, tc.into, "", recordIdentity)
			assert.Equal(t, tc.data, string(data), "the data is not modified")
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, jsonErrorText(err), tc.err)
				assert.NotContains(t, jsonErrorText(err), "zq")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, tc.into)
			assert.Equal(t, tc.anomalies, anomalies)
		})
	}
}

// TestValueAt checks that the value a decoding error points to is found
// where the error's offset says, or not at all.
func TestValueAt(t *testing.T) {
	data := []byte(` {"a":1, "b" : [true, {"c":"x"}], "a" : "2" , "d~/":{}}`)
	for _, tc := range []struct {
		pointer jsontext.Pointer
		offset  int
		want    string
	}{
		{"/a", bytes.Index(data, []byte("1")), "1"},
		{"/a", bytes.Index(data, []byte(`"2"`)), `"2"`},
		{"/b/0", bytes.Index(data, []byte("true")), "true"},
		{"/b/1/c", bytes.Index(data, []byte(`"x"`)), `"x"`},
		{"/b/1", bytes.Index(data, []byte(`{"c"`)), `{"c":"x"}`},
		{"/d~0~1", bytes.Index(data, []byte("{}")), "{}"},
		{"/a", bytes.Index(data, []byte("true")), ""},
		{"/b/2", bytes.Index(data, []byte("true")), ""},
		{"/b/x", bytes.Index(data, []byte("true")), ""},
		{"/b/-1", bytes.Index(data, []byte("true")), ""},
		{"/e", 1, ""},
		{"/a/b", bytes.Index(data, []byte("1")), ""},
	} {
		t.Run(fmt.Sprintf("%s at %d", tc.pointer, tc.offset), func(t *testing.T) {
			start, end, ok := valueAt(data, tc.pointer, int64(tc.offset))
			if tc.want == "" {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.want, string(data[start:end]))
		})
	}
}

// schemaAnomaly is the form of every anomaly: schema names, indexes, "*".
var schemaAnomaly = regexp.MustCompile(`^/data(/([a-z0-9_]+|[0-9]+|\*))+$`)

// recordView and membershipView are the identity of records, decoded
// strictly on their own.
type recordView struct {
	ID        string    `json:"id"`
	UpdatedAt UnixMilli `json:"updated_at"`
}

type membershipView struct {
	recordView
	Organization *struct {
		ID string `json:"id"`
	} `json:"organization"`
	PublicUserData *struct {
		UserID string `json:"user_id"`
	} `json:"public_user_data"`
}

// deletedView is the identity of a deletion, which has no version.
type deletedView struct {
	ID string `json:"id"`
}

// FuzzTolerantDecode feeds arbitrary data to the tolerant decoder of each
// shape the Handler stores: it never panics; where the strict decoder
// succeeds, it succeeds alike, without anomalies; where it succeeds, the
// identity decoded strictly on its own succeeds and equals the record's,
// so that tolerance never makes an identity up; and its anomalies are
// schema pointers, at most maxAnomalies of them, each once.
func FuzzTolerantDecode(f *testing.F) {
	for _, seed := range fastDecodeSeeds(f) {
		f.Add(seed)
	}
	for _, fx := range eventFixtureFiles(f) {
		e, err := ParseEvent(fx.body)
		require.NoError(f, err)
		for _, data := range driftedVariants(f, compacted(f, e.Data)) {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		requireTolerant(t, EventUserUpdated, data, func(u *User) recordView { return recordView{u.ID, u.UpdatedAt} })
		requireTolerant(t, EventOrganizationUpdated, data, func(o *Organization) recordView { return recordView{o.ID, o.UpdatedAt} })
		requireTolerant(t, EventOrganizationMembershipUpdated, data, func(m *OrganizationMembership) membershipView {
			v := membershipView{recordView: recordView{m.ID, m.UpdatedAt}}
			if m.OrganizationID() != "" {
				v.Organization = &struct {
					ID string `json:"id"`
				}{m.OrganizationID()}
			}
			if m.UserID() != "" {
				v.PublicUserData = &struct {
					UserID string `json:"user_id"`
				}{m.UserID()}
			}
			return v
		})
		requireTolerant(t, EventUserDeleted, data, func(d *DeletedObject) deletedView { return deletedView{d.ID} })
	})
}

func requireTolerant[T, V any](t *testing.T, eventType string, data []byte, identity func(*T) V) {
	t.Helper()
	e := &Event{Type: eventType, Data: data}
	var got *T
	var anomalies []string
	var err error
	require.NotPanics(t, func() { got, anomalies, err = unmarshalData[T](e) })
	if strictErr := reflectiveError[T](data); strictErr == nil {
		strict := new(T)
		require.NoError(t, json.Unmarshal(data, strict, decodeOptions))
		require.NoError(t, err, "the tolerant decoder refuses what the strict one accepts\ndata: %q", data)
		require.Empty(t, anomalies)
		require.Equal(t, strict, got)
	}
	var view V
	viewErr := json.Unmarshal(data, &view, decodeOptions)
	if err != nil {
		require.ErrorIs(t, err, ErrInvalidEvent)
		require.Nil(t, got)
		require.Nil(t, anomalies)
		if viewErr == nil && !strings.Contains(err.Error(), errTooManyAnomalies.Error()) {
			t.Fatalf("the tolerant decoder refused data whose identity decodes: %v\ndata: %q", err, data)
		}
		return
	}
	require.NoError(t, viewErr, "the tolerant decoder accepted data whose identity does not decode\ndata: %q", data)
	require.Equal(t, normalView(view), normalView(identity(got)), "the identity differs from the one decoded on its own\ndata: %q", data)
	require.LessOrEqual(t, len(anomalies), maxAnomalies)
	seen := map[string]bool{}
	for _, a := range anomalies {
		require.Regexp(t, schemaAnomaly, a)
		require.False(t, seen[a], "anomaly %s twice", a)
		seen[a] = true
	}
}

// normalView is v with empty nested identities as absent ones: a
// membership's organization sent as {} or null has no id either way.
func normalView[V any](v V) V {
	if m, ok := any(&v).(*membershipView); ok {
		if m.Organization != nil && m.Organization.ID == "" {
			m.Organization = nil
		}
		if m.PublicUserData != nil && m.PublicUserData.UserID == "" {
			m.PublicUserData = nil
		}
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// BenchmarkTolerantDecode measures what a drifted user.updated costs the
// Handler's decoding, against the same payload clean: the hand decoder
// gives up, then ParseEvent and the tolerant decoder of the data decode it
// once more for each value that does not fit.
func BenchmarkTolerantDecode(b *testing.B) {
	pretty, err := os.ReadFile(filepath.Join("testdata", "events", "user.updated.json"))
	require.NoError(b, err)
	clean := compacted(b, pretty)
	one := bytes.Replace(clean, []byte(`"has_image":true`), []byte(`"has_image":"true"`), 1)
	three := bytes.Replace(one, []byte(`"backup_code_enabled":true`), []byte(`"backup_code_enabled":"true"`), 1)
	three = bytes.Replace(three, []byte(`"totp_enabled":true`), []byte(`"totp_enabled":1`), 1)
	for _, tc := range []struct {
		name      string
		body      []byte
		anomalies int
	}{
		{"clean", clean, 0},
		{"one anomaly", one, 1},
		{"three anomalies", three, 3},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				var anomalies []string
				if _, _, ok := decodeEvent(tc.body, EventUserUpdated, (*scanner).user); !ok {
					evt, envelope, err := parseEvent(tc.body)
					require.NoError(b, err)
					_, anomalies, err = decodeRecord[User](evt, shapeUser, (*scanner).user)
					require.NoError(b, err)
					anomalies = append(envelope, anomalies...)
				}
				if len(anomalies) != tc.anomalies {
					b.Fatalf("%d anomalies, want %d", len(anomalies), tc.anomalies)
				}
			}
		})
	}
}

// BenchmarkTolerantDecodeWorstCase measures the most a payload can cost the
// tolerant decoder: maxAnomalies values that do not fit, after padding that
// every decoding reads again, so that it decodes the payload
// maxAnomalies+1 times and looks each value up from the start. The cost
// grows with the payload's size, not faster: with maxAnomalies anomalies,
// the bytes per second stay about the same from 64 KB to the Handler's
// 1 MB, about a hundred times fewer than for the clean payload.
func BenchmarkTolerantDecodeWorstCase(b *testing.B) {
	for _, size := range []int{64 << 10, DefaultMaxBodyBytes} {
		for _, anomalies := range []int{0, maxAnomalies} {
			var data bytes.Buffer
			fmt.Fprintf(&data, `{"id":"user_1","updated_at":1,"unsafe_metadata":{"pad":%q},"email_addresses":[`, strings.Repeat("x", size))
			for i := range anomalies {
				if i > 0 {
					data.WriteByte(',')
				}
				fmt.Fprintf(&data, `{"id":"idn_%d","reserved":"true"}`, i)
			}
			data.WriteString(`]}`)
			b.Run(fmt.Sprintf("%dKB/%d anomalies", size>>10, anomalies), func(b *testing.B) {
				b.SetBytes(int64(data.Len()))
				for b.Loop() {
					_, got, err := unmarshalData[User](&Event{Type: EventUserUpdated, Data: data.Bytes()})
					if err != nil || len(got) != anomalies {
						b.Fatalf("%d anomalies, %v; want %d", len(got), err, anomalies)
					}
				}
			})
		}
	}
}
