package clerkhook

import (
	"bytes"
	"unicode/utf8"
)

// This file replaces, in the raw JSON of a payload and before anything
// decodes it, the text that PostgreSQL cannot hold: the escape \u0000 (a
// text or jsonb value cannot contain U+0000), an escaped UTF-16 surrogate
// that is not half of a pair, and invalid UTF-8. Each becomes U+FFFD, the
// replacement character, so that every store, whatever its database, is
// given the same text, and the typed fields and the raw data agree.

// replacementEscape replaces an escape of the same length.
const replacementEscape = `\ufffd`

// storableJSON returns b with U+FFFD in place of the text a store cannot
// hold, in every string, member names included: the escape \u0000, an
// escaped surrogate that is not half of a pair (\ud800 alone, or a lone
// \udc00), and each byte of invalid UTF-8. An escaped backslash followed by
// u0000 (\\u0000) is text, not an escape, and stays. It returns b itself,
// without allocating, when there is nothing to replace, which is the case
// of nearly every payload; otherwise a new slice. It never modifies b. It
// does not check the syntax of b, which the decoders do after it: valid
// JSON stays valid, and invalid JSON stays invalid.
func storableJSON(b []byte) []byte {
	if utf8.Valid(b) && storableEscapes(b) {
		return b
	}
	return appendStorable(make([]byte, 0, len(b)+len(b)/16), b)
}

// storableData returns e, or a copy of it whose Data has had the
// replacements of storableJSON.
func storableData(e *Event) *Event {
	data := storableJSON(e.Data)
	if len(data) == 0 || &data[0] == &e.Data[0] {
		return e
	}
	c := *e
	c.Data = data
	return &c
}

// storableEscapes reports whether b has no escape that storableJSON
// replaces. Backslashes only occur in strings, where each starts an escape,
// so going from one escape to the next from the start of b finds them all.
func storableEscapes(b []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return true
		}
		i += j
		n, keep := escapeAt(b, i)
		if !keep {
			return false
		}
		i += n
	}
}

// escapeAt returns the length of the escape at b[i], a backslash, and
// whether storableJSON keeps it. A valid surrogate pair is one escape of
// twelve bytes. What is not an escape is left for the decoder to refuse.
func escapeAt(b []byte, i int) (n int, keep bool) {
	if i+1 >= len(b) || b[i+1] >= utf8.RuneSelf {
		// A byte that is not ASCII is checked as UTF-8 on its own.
		return 1, true
	}
	if b[i+1] != 'u' {
		return 2, true
	}
	r, ok := hex4(b[i+2:])
	switch {
	case !ok:
		return 2, true
	case r == 0:
		return 6, false
	case 0xd800 <= r && r < 0xdc00:
		if len(b) >= i+12 && b[i+6] == '\\' && b[i+7] == 'u' {
			if low, ok := hex4(b[i+8:]); ok && 0xdc00 <= low && low < 0xe000 {
				return 12, true
			}
		}
		return 6, false
	case 0xdc00 <= r && r < 0xe000:
		return 6, false
	default:
		return 6, true
	}
}

// appendStorable appends b to dst with the replacements of storableJSON.
func appendStorable(dst, b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			i = len(b)
		}
		dst = appendValidUTF8(dst, b[:i])
		if b = b[i:]; len(b) == 0 {
			break
		}
		n, keep := escapeAt(b, 0)
		if keep {
			dst = append(dst, b[:n]...)
		} else {
			dst = append(dst, replacementEscape...)
		}
		b = b[n:]
	}
	return dst
}

// appendValidUTF8 appends s to dst with U+FFFD in place of each byte of
// invalid UTF-8.
func appendValidUTF8(dst, s []byte) []byte {
	if utf8.Valid(s) {
		return append(dst, s...)
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return dst
}
