package clerkhook

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStorableJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", `{"first_name":"Ada"}`, `{"first_name":"Ada"}`},
		{"no strings", `[1,true,null]`, `[1,true,null]`},
		{"empty", ``, ``},
		{"valid UTF-8", `{"name":"Zoë 日本 😀"}`, `{"name":"Zoë 日本 😀"}`},
		{"other escapes", `"\n\t\"\\\/\u0041\u00e9\uFFFF\u0001"`, `"\n\t\"\\\/\u0041\u00e9\uFFFF\u0001"`},
		{"valid pair", `"\ud83d\ude00"`, `"\ud83d\ude00"`},
		{"valid pair upper case", `"\uD83D\uDE00"`, `"\uD83D\uDE00"`},
		{"NUL", `{"first_name":"\u0000"}`, `{"first_name":"\ufffd"}`},
		{"NUL in a key", `{"\u0000key":1}`, `{"\ufffdkey":1}`},
		{"NUL among text", `"a\u0000b\u0000"`, `"a\ufffdb\ufffd"`},
		{"escaped backslash before u0000", `"\\u0000"`, `"\\u0000"`},
		{"two escaped backslashes before u0000", `"\\\\u0000"`, `"\\\\u0000"`},
		{"escaped backslash then NUL", `"\\\u0000"`, `"\\\ufffd"`},
		{"lone high surrogate", `{"k":"\ud800"}`, `{"k":"\ufffd"}`},
		{"lone high surrogate upper case", `"\uDBFF"`, `"\ufffd"`},
		{"lone low surrogate", `"\udc00x"`, `"\ufffdx"`},
		{"reversed pair", `"\udc00\ud800"`, `"\ufffd\ufffd"`},
		{"high then high pair", `"\ud800\ud83d\ude00"`, `"\ufffd\ud83d\ude00"`},
		{"high then escaped backslash", `"\ud800\\udc00"`, `"\ufffd\\udc00"`},
		{"high then NUL", `"\ud800\u0000"`, `"\ufffd\ufffd"`},
		{"high then other escape", `"\ud800\n"`, `"\ufffd\n"`},
		{"high at the end", `"\ud800`, `"\ufffd`},
		{"invalid UTF-8 byte", "\"Zo\xe9\"", "\"Zo\uFFFD\""},
		{"invalid UTF-8 in a key", "{\"\xff\":1}", "{\"\uFFFD\":1}"},
		{"truncated sequence", "\"\xe6\x97\"", "\"\uFFFD\uFFFD\""},
		{"encoded surrogate", "\"\xed\xa0\x80\"", "\"\uFFFD\uFFFD\uFFFD\""},
		{"overlong", "\"\xc0\xaf\"", "\"\uFFFD\uFFFD\""},
		{"backslash before invalid UTF-8", "\"\\\xff\"", "\"\\\uFFFD\""},
		{"invalid UTF-8 and NUL", "{\"a\":\"\xff\",\"b\":\"\\u0000\"}", "{\"a\":\"\uFFFD\",\"b\":\"\\ufffd\"}"},
		{"bad hex is left to the decoder", `"\u00zz\u0000"`, `"\u00zz\ufffd"`},
		{"trailing backslash", `"\`, `"\`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			before := bytes.Clone(in)
			got := storableJSON(in)
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, before, in, "the input was modified")
			if tc.in == tc.want && len(in) > 0 {
				assert.Same(t, &in[0], &got[0], "clean input must be returned as it is")
			}
		})
	}
}

func TestStorableJSONAllocatesNothingOnCleanInput(t *testing.T) {
	body := readEventFixtureBody(t, "user.updated.json")
	allocs := testing.AllocsPerRun(100, func() { storableJSON(body) })
	assert.Zero(t, allocs)
}

func readEventFixtureBody(tb testing.TB, name string) []byte {
	tb.Helper()
	for _, fx := range eventFixtureFiles(tb) {
		if fx.name == name {
			return fx.body
		}
	}
	tb.Fatalf("no fixture %s", name)
	return nil
}

// BenchmarkStorableJSON measures the check of a typical user.updated body,
// which has nothing to replace, against the scan of its bytes that any
// check must make (bytes.IndexByte for a byte it does not hold), and the
// replacement in a body with one NUL.
func BenchmarkStorableJSON(b *testing.B) {
	body := readEventFixtureBody(b, "user.updated.json")
	b.Run("clean", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			storableJSON(body)
		}
	})
	b.Run("scan only", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			bytes.IndexByte(body, 0)
		}
	})
	dirty := bytes.Replace(body, []byte(`"Priya"`), []byte(`"Pri\u0000ya"`), 1)
	require.True(b, len(dirty) > len(body), "the fixture has no first name to change")
	b.Run("one NUL", func(b *testing.B) {
		b.SetBytes(int64(len(dirty)))
		b.ReportAllocs()
		for b.Loop() {
			storableJSON(dirty)
		}
	})
}

// FuzzStorableJSON checks storableJSON on arbitrary bytes: it never
// modifies its input, its output is valid UTF-8, valid JSON stays valid
// JSON that a strict decoder accepts and whose strings hold no U+0000, and
// input without anything to replace comes back as it is.
func FuzzStorableJSON(f *testing.F) {
	for _, seed := range []string{
		`{"first_name":"\u0000","unsafe_metadata":{"\u0000":"\ud800"}}`,
		`"\\u0000\\\u0000\ud83d\ude00\udc00\ud800\ud800\udc00"`,
		"\"Zo\xe9\xed\xa0\x80\"",
		`["\u00zz",1,{"a":[null]}]`,
	} {
		f.Add([]byte(seed))
	}
	for _, fx := range eventFixtureFiles(f) {
		f.Add(fx.body)
	}
	lenient := []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
	strict := jsontext.AllowDuplicateNames(true)
	f.Fuzz(func(t *testing.T, in []byte) {
		before := bytes.Clone(in)
		out := storableJSON(in)
		require.Equal(t, before, in, "the input was modified")
		require.True(t, utf8.Valid(out), "invalid UTF-8 in the output of %q: %q", in, out)
		if !jsontext.Value(in).IsValid(lenient...) {
			return
		}
		require.True(t, jsontext.Value(out).IsValid(strict), "%q became %q, which is not valid JSON", in, out)
		strs := jsonStrings(t, out, strict)
		for _, s := range strs {
			require.NotContains(t, s, "\x00", "a string of %q still holds U+0000: %q", in, out)
		}
		clean := jsontext.Value(in).IsValid(strict) && !strings.Contains(strings.Join(jsonStrings(t, in, strict), ""), "\x00")
		if clean {
			require.Equal(t, in, out, "clean input was changed")
			if len(in) > 0 {
				require.Same(t, &in[0], &out[0], "clean input was copied")
			}
		}
	})
}

// jsonStrings returns the strings of the valid JSON value b, member names
// included.
func jsonStrings(t *testing.T, b []byte, opts ...jsontext.Options) []string {
	t.Helper()
	d := jsontext.NewDecoder(bytes.NewReader(b), opts...)
	var strs []string
	for {
		tok, err := d.ReadToken()
		if err == io.EOF {
			return strs
		}
		require.NoError(t, err)
		if tok.Kind() == '"' {
			strs = append(strs, tok.String())
		}
	}
}
