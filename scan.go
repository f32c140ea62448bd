package clerkhook

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"slices"
	"unicode/utf8"
)

// scanner reads JSON values from a byte slice for the hand-written decoder
// of users, organizations and memberships (fastdecode.go). It never accepts
// what the package's reflective decoder would refuse, and gives up on what
// it does not handle in a single pass: an escaped surrogate, invalid UTF-8
// in a string it keeps, a number with a fraction or an exponent, a value of
// the wrong kind, nesting deeper than maxScanDepth. The caller then decodes
// the payload again with the reflective decoder, which has the final say
// and the error messages.
type scanner struct {
	buf    []byte
	pos    int
	failed bool
	depth  int
}

// maxScanDepth bounds the recursion of skip; deeper payloads, which Clerk
// never sends, go to the reflective decoder.
const maxScanDepth = 64

func (s *scanner) fail() { s.failed = true }

// ws skips white space.
func (s *scanner) ws() {
	// Clerk sends compact JSON: the first test is nearly always the last.
	for s.pos < len(s.buf) && s.buf[s.pos] <= ' ' {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// expect consumes c after white space.
func (s *scanner) expect(c byte) {
	if s.peek() != c {
		s.fail()
		return
	}
	s.pos++
}

// literal consumes the rest of true, false or null, whose first byte has
// been peeked.
func (s *scanner) literal(word string) {
	if len(s.buf)-s.pos < len(word) || string(s.buf[s.pos:s.pos+len(word)]) != word {
		s.fail()
		return
	}
	s.pos += len(word)
}

// null consumes a null and reports whether there was one.
func (s *scanner) null() bool {
	if s.peek() != 'n' {
		return false
	}
	s.literal("null")
	return !s.failed
}

// more reports whether the object or array being read, whose opening
// bracket has been consumed, has another element, consuming the comma
// before it or the closing bracket end after the last one.
func (s *scanner) more(first *bool, end byte) bool {
	if s.failed {
		return false
	}
	switch c := s.peek(); {
	case c == end:
		s.pos++
		return false
	case *first:
		*first = false
		return true
	case c == ',':
		s.pos++
		return true
	default:
		s.fail()
		return false
	}
}

// key reads a member name and the colon after it. Names with escapes,
// which Clerk does not send, fail: they may spell a known name.
func (s *scanner) key() []byte {
	s.expect('"')
	if s.failed {
		return nil
	}
	start := s.pos
	for i := plainUntil(s.buf, s.pos); i < len(s.buf); i = plainUntil(s.buf, i+1) {
		switch c := s.buf[i]; {
		case c == '"':
			s.pos = i + 1
			s.expect(':')
			return s.buf[start:i]
		case c == '\\' || c < 0x20:
			s.fail()
			return nil
		}
	}
	s.fail()
	return nil
}

// str reads a string value.
func (s *scanner) str() string { return string(s.strBytes()) }

// strBytes reads a string value and returns its content: part of the
// buffer when the string has no escapes, or a new slice.
func (s *scanner) strBytes() []byte {
	s.expect('"')
	if s.failed {
		return nil
	}
	start, ascii := s.pos, true
	for i := plainUntil(s.buf, s.pos); i < len(s.buf); i = plainUntil(s.buf, i+1) {
		switch c := s.buf[i]; {
		case c == '"':
			v := s.buf[start:i]
			s.pos = i + 1
			if !ascii && !utf8.Valid(v) {
				// The reflective decoder replaces it with U+FFFD.
				s.fail()
				return nil
			}
			return v
		case c == '\\':
			s.pos = i
			return s.escapedStr(start)
		case c < 0x20:
			s.fail()
			return nil
		default:
			ascii = false
		}
	}
	s.fail()
	return nil
}

// plainUntil returns the index of the first byte at or after i that is a
// quote, a backslash, a control character or not ASCII, or len(b). It
// tests eight bytes at a time: most of a Clerk payload is plain strings.
func plainUntil(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		quote, backslash := w^(ones*'"'), w^(ones*'\\')
		// A high bit is set in each byte that is zero after the xor,
		// below 0x20, or not ASCII, and may be in bytes after the first
		// of those, set by a borrow; the lowest one is exact.
		if m := ((quote-ones)&^quote | (backslash-ones)&^backslash | (w - ones*0x20) | w) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// intern returns the string of b without allocating when it is one of
// the recurring values.
func intern(b []byte) string {
	switch string(b) {
	case "user":
		return "user"
	case "event":
		return "event"
	case EventUserCreated:
		return EventUserCreated
	case EventUserUpdated:
		return EventUserUpdated
	case "email_address":
		return "email_address"
	case "phone_number":
		return "phone_number"
	case "external_account":
		return "external_account"
	case "google_account":
		return "google_account"
	case "verified":
		return "verified"
	case "unverified":
		return "unverified"
	case "verification_otp":
		return "verification_otp"
	case "verification_oauth":
		return "verification_oauth"
	case "verification_from_oauth":
		return "verification_from_oauth"
	case "verification_admin":
		return "verification_admin"
	case "verification_ticket":
		return "verification_ticket"
	case "email_code":
		return "email_code"
	case "phone_code":
		return "phone_code"
	case "email_link":
		return "email_link"
	case "admin":
		return "admin"
	case "ticket":
		return "ticket"
	case "oauth_google":
		return "oauth_google"
	case "from_oauth_google":
		return "from_oauth_google"
	case "oauth_github":
		return "oauth_github"
	case "from_oauth_github":
		return "from_oauth_github"
	case "sms":
		return "sms"
	case "organization":
		return "organization"
	case "organization_membership":
		return "organization_membership"
	case "org:admin":
		return "org:admin"
	case "org:member":
		return "org:member"
	case EventOrganizationMembershipCreated:
		return EventOrganizationMembershipCreated
	case EventOrganizationMembershipUpdated:
		return EventOrganizationMembershipUpdated
	case EventOrganizationCreated:
		return EventOrganizationCreated
	case EventOrganizationUpdated:
		return EventOrganizationUpdated
	default:
		return string(b)
	}
}

// escapedStr finishes a string with escapes, from its first byte at start
// to the backslash at s.pos.
func (s *scanner) escapedStr(start int) []byte {
	out := make([]byte, 0, s.pos-start+16)
	out = append(out, s.buf[start:s.pos]...)
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(out) {
				s.fail()
				return nil
			}
			return out
		case c < 0x20:
			s.fail()
			return nil
		case c != '\\':
			out = append(out, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.buf) {
			s.fail()
			return nil
		}
		switch e := s.buf[s.pos+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.buf[s.pos+2:])
			if !ok || utf8.RuneLen(r) < 0 {
				// Surrogates, paired or not, take the reflective decoder.
				s.fail()
				return nil
			}
			out = utf8.AppendRune(out, r)
			s.pos += 4
		default:
			s.fail()
			return nil
		}
		s.pos += 2
	}
	s.fail()
	return nil
}

// hex4 parses the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skipString consumes a string whose opening quote is at s.pos. Like the
// reflective decoder, which allows invalid UTF-8, it checks escapes and
// control characters only.
func (s *scanner) skipString() {
	for i := plainUntil(s.buf, s.pos+1); i < len(s.buf); i = plainUntil(s.buf, i) {
		switch c := s.buf[i]; {
		case c == '"':
			s.pos = i + 1
			return
		case c < 0x20:
			s.fail()
			return
		case c != '\\':
			i++
			continue
		}
		if i+1 >= len(s.buf) {
			s.fail()
			return
		}
		switch s.buf[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if _, ok := hex4(s.buf[i+2:]); !ok {
				s.fail()
				return
			}
			i += 6
		default:
			s.fail()
			return
		}
	}
	s.fail()
}

// checkString consumes a string or null for a string field that is not
// kept: like the reflective decoder, it allows invalid UTF-8 and lone
// surrogates, so skipString checks enough, and makes no string.
func (s *scanner) checkString() {
	switch s.peek() {
	case '"':
		s.skipString()
	case 'n':
		s.literal("null")
	default:
		s.fail()
	}
}

// int64 reads an integer. Fractions and exponents, which the reflective
// decoder refuses for integers, fail, as do values out of range.
func (s *scanner) int64() int64 {
	s.ws()
	neg := s.pos < len(s.buf) && s.buf[s.pos] == '-'
	if neg {
		s.pos++
	}
	start := s.pos
	var u uint64
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		if c < '0' || c > '9' {
			break
		}
		if u > (1<<63)/10 {
			s.fail()
			return 0
		}
		u = u*10 + uint64(c-'0')
		s.pos++
	}
	n := s.pos - start
	switch {
	case n == 0, n > 1 && s.buf[start] == '0', u > 1<<63, u == 1<<63 && !neg:
		s.fail()
		return 0
	}
	if s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case '.', 'e', 'E':
			s.fail()
			return 0
		}
	}
	if neg {
		return -int64(u)
	}
	return int64(u)
}

// skipNumber consumes a number of any JSON form.
func (s *scanner) skipNumber() {
	if s.buf[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.buf) && s.buf[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		s.fail()
		return
	}
	if s.pos < len(s.buf) && s.buf[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			s.fail()
			return
		}
	}
	if s.pos < len(s.buf) && (s.buf[s.pos] == 'e' || s.buf[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.buf) && (s.buf[s.pos] == '+' || s.buf[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			s.fail()
		}
	}
}

func (s *scanner) digits() int {
	start := s.pos
	for s.pos < len(s.buf) && '0' <= s.buf[s.pos] && s.buf[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// skip consumes a value of any kind, checking its syntax.
func (s *scanner) skip() {
	switch s.peek() {
	case '"':
		s.skipString()
	case '{':
		s.nest(func() {
			for first := true; s.more(&first, '}'); {
				if s.peek() != '"' {
					s.fail()
					return
				}
				s.skipString()
				s.expect(':')
				s.skip()
			}
		})
	case '[':
		s.nest(func() {
			for first := true; s.more(&first, ']'); {
				s.skip()
			}
		})
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s.skipNumber()
	default:
		s.fail()
	}
}

// nest runs body, which reads the members or elements of the object or
// array whose bracket is at s.pos, one level deeper.
func (s *scanner) nest(body func()) {
	if s.depth >= maxScanDepth {
		s.fail()
		return
	}
	s.depth++
	s.pos++
	body()
	s.depth--
}

// raw reads a value as raw JSON, copied: the buffer is reused after the
// delivery. The null is kept as such, as json.RawMessage does.
func (s *scanner) raw() json.RawMessage {
	s.ws()
	start := s.pos
	s.skip()
	if s.failed {
		return nil
	}
	return append(json.RawMessage(nil), s.buf[start:s.pos]...)
}

// end checks that nothing but white space follows the value read.
func (s *scanner) end() {
	s.ws()
	if s.pos != len(s.buf) {
		s.fail()
	}
}

// The field readers follow. Each gives null the meaning the reflective
// decoder gives it: the zero value, or nil for pointers and slices.

func (s *scanner) string(p *string) {
	if s.null() {
		*p = ""
		return
	}
	*p = s.str()
}

// enum reads a string of a field whose values recur in every payload,
// such as object kinds, verification statuses and strategies, without
// allocating for the common ones.
func (s *scanner) enum(p *string) {
	if s.null() {
		*p = ""
		return
	}
	*p = intern(s.strBytes())
}

func (s *scanner) optString(p **string) {
	if s.null() {
		*p = nil
		return
	}
	v := s.str()
	*p = &v
}

func (s *scanner) bool(p *bool) {
	switch s.peek() {
	case 't':
		s.literal("true")
		*p = true
	case 'f':
		s.literal("false")
		*p = false
	case 'n':
		s.literal("null")
		*p = false
	default:
		s.fail()
	}
}

func (s *scanner) optBool(p **bool) {
	if s.null() {
		*p = nil
		return
	}
	var v bool
	s.bool(&v)
	*p = &v
}

func number[T ~int64 | ~int](s *scanner, p *T) {
	if s.null() {
		*p = 0
		return
	}
	n := s.int64()
	if int64(T(n)) != n {
		s.fail()
	}
	*p = T(n)
}

func optNumber[T ~int64 | ~int](s *scanner, p **T) {
	if s.null() {
		*p = nil
		return
	}
	var v T
	number(s, &v)
	*p = &v
}

// optObject reads into the object *p points to, as the reflective decoder
// does: a repeated member merges into the value of the first.
func optObject[T any](s *scanner, p **T, decode func(*scanner, *T)) {
	if s.null() {
		*p = nil
		return
	}
	if *p == nil {
		*p = new(T)
	}
	decode(s, *p)
}

// list reads an array; [] is an empty slice, not nil.
func list[T any](s *scanner, p *[]T, decode func(*scanner, *T)) {
	if s.null() {
		*p = nil
		return
	}
	s.expect('[')
	out := []T{}
	for first := true; s.more(&first, ']'); {
		if len(out) == 1 {
			// Most arrays of a user hold one element; a longer one is
			// counted and allocated once rather than grown, up to a bound:
			// the count trusts the commas before the elements are checked.
			out = slices.Grow(out, min(s.countRest(), maxPresized))
		}
		var zero T
		out = append(out, zero)
		decode(s, &out[len(out)-1])
	}
	*p = out
}

// maxPresized bounds the elements list allocates before it decodes them.
const maxPresized = 64

// countRest counts the elements of the array being read from s.pos to its
// end. It only counts: the elements are checked as they are decoded.
func (s *scanner) countRest() int {
	n, depth := 1, 0
	for i := s.pos; i < len(s.buf); i++ {
		switch s.buf[i] {
		case '"':
			// Skip to the closing quote, past escaped ones.
			for i = plainUntil(s.buf, i+1); i < len(s.buf) && s.buf[i] != '"'; i = plainUntil(s.buf, i+1) {
				if s.buf[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}
