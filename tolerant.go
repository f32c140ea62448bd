package clerkhook

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// This file decodes drifted payloads. Clerk's payloads do not always match
// its documentation, and Svix retries a refused delivery with the same
// body: a field whose value does not fit its Go type (a boolean sent as
// "true", an object where a list was) must not stop every delivery of the
// record until a new release. Such a value is decoded as null, which
// leaves its field at its zero value, and its place is reported as an
// anomaly; only the values that make a record the record it is, and order
// its versions, must fit. Clean payloads pay nothing: the retries start at
// the first failure of the decoder.

// maxAnomalies bounds the values of one payload that may not fit their
// fields: each costs another decoding, and a payload with more is not a
// drift of Clerk's.
const maxAnomalies = 32

// errTooManyAnomalies fails a payload with more than maxAnomalies values
// that do not fit their fields.
var errTooManyAnomalies = fmt.Errorf("more than %d values do not fit their fields", maxAnomalies)

// envelopeIdentity are the members of an envelope that must decode: its
// type and its data. The others (object, timestamp, instance_id,
// event_attributes) are tolerated.
func envelopeIdentity(reflect.Type) []jsontext.Pointer { return []jsontext.Pointer{"/type", "/data"} }

// recordIdentity are the members of a record of type t that must decode:
// the id and the version of every record, and for a membership the ids of
// its organization and its member, by which stores key it.
func recordIdentity(t reflect.Type) []jsontext.Pointer {
	if t == reflect.TypeFor[OrganizationMembership]() {
		return []jsontext.Pointer{"/id", "/updated_at", "/organization/id", "/public_user_data/user_id"}
	}
	return []jsontext.Pointer{"/id", "/updated_at"}
}

// unmarshalTolerant decodes data into v, a pointer to a zero value, as
// json.Unmarshal does with the package's options, except that a value that
// does not fit its Go type is decoded as null, so that its field keeps its
// zero value, and its place is reported as an anomaly (see schemaPointer),
// after prefix. It fails as json.Unmarshal does when the value that does
// not fit is, or contains, one that identity names for v's type (identity
// is called only then), on invalid JSON, and after maxAnomalies
// anomalies. data is not modified: the values are nulled in a copy.
func unmarshalTolerant(data []byte, v any, prefix string, identity func(reflect.Type) []jsontext.Pointer) ([]string, error) {
	err := json.Unmarshal(data, v, decodeOptions)
	if err == nil {
		return nil, nil
	}
	t := reflect.TypeOf(v).Elem()
	essential := identity(t)
	var anomalies []string
	scratch := data
	for nulled := 0; err != nil; nulled++ {
		var serr *json.SemanticError
		if !errors.As(err, &serr) {
			return nil, err
		}
		where := serr.JSONPointer
		// The pointer may hold names of the payload's own, such as
		// metadata keys: the error keeps only those of the schema.
		serr.JSONPointer = jsontext.Pointer(schemaPointer(t, where))
		if slices.ContainsFunc(essential, where.Contains) {
			return nil, err
		}
		if nulled == maxAnomalies {
			return nil, errTooManyAnomalies
		}
		start, end, ok := valueAt(scratch, where, serr.ByteOffset)
		if !ok || string(scratch[start:end]) == "null" {
			// The error is not where it says, as in an UnmarshalJSON
			// method that decodes a part of the value: give up.
			return nil, err
		}
		scratch = slices.Concat(scratch[:start:start], []byte("null"), scratch[end:])
		// Distinct values can have the same place in the schema.
		if p := prefix + string(serr.JSONPointer); !slices.Contains(anomalies, p) {
			anomalies = append(anomalies, p)
		}
		reflect.ValueOf(v).Elem().SetZero()
		err = json.Unmarshal(scratch, v, decodeOptions)
	}
	return anomalies, nil
}

// valueAt returns where, in data, the value that p points to begins and
// ends, if it begins at offset: with repeated member names, p may point to
// several values, and the decoder's offset tells which one failed.
func valueAt(data []byte, p jsontext.Pointer, offset int64) (start, end int64, ok bool) {
	value := data
	for name := range p.Tokens() {
		dec := jsontext.NewDecoder(bytes.NewReader(value), decodeOptions)
		open, err := dec.ReadToken()
		if err != nil {
			return 0, 0, false
		}
		index := -1
		if open.Kind() == '[' {
			if index, err = strconv.Atoi(name); err != nil || index < 0 {
				return 0, 0, false
			}
		} else if open.Kind() != '{' {
			return 0, 0, false
		}
		closing := jsontext.Kind('}')
		if index >= 0 {
			closing = ']'
		}
		found := false
		for i := 0; !found && dec.PeekKind() != closing; i++ {
			match := i == index
			if index < 0 {
				key, err := dec.ReadToken()
				if err != nil {
					return 0, 0, false
				}
				match = key.String() == name
			}
			v, err := dec.ReadValue()
			if err != nil {
				return 0, 0, false
			}
			e := dec.InputOffset()
			s := e - int64(len(v))
			if match && start+s <= offset && offset < start+e {
				value, start, found = v, start+s, true
			}
		}
		if !found {
			return 0, 0, false
		}
	}
	return start, start + int64(len(value)), start == offset
}

// schemaPointer returns p, a pointer into a JSON value decoded into a t,
// with only the names of t's fields and the indexes of its lists: any
// other token, such as a metadata key, and everything under it, becomes
// "*". Such a pointer names a place in Clerk's schema, never a value of
// the payload.
func schemaPointer(t reflect.Type, p jsontext.Pointer) string {
	var b strings.Builder
	for token := range p.Tokens() {
		b.WriteByte('/')
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			if f, ok := fieldOf(t, token); ok {
				b.WriteString(token)
				t = f.Type
				continue
			}
		case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8 && isIndex(token):
			b.WriteString(token)
			t = t.Elem()
			continue
		}
		b.WriteByte('*')
		t = nil
	}
	return b.String()
}

// fieldOf returns the field of struct type t that the JSON member name
// decodes into, looking into embedded structs as the decoder does.
func fieldOf(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() && !f.Anonymous, tag == "-" && opts == "":
			continue
		case f.Anonymous && tag == "" || strings.Contains(","+opts+",", ",inline,"):
			inner := f.Type
			if inner.Kind() == reflect.Pointer {
				inner = inner.Elem()
			}
			if inner.Kind() == reflect.Struct {
				if g, ok := fieldOf(inner, name); ok {
					return g, true
				}
			}
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// isIndex reports whether token is an array index of a JSON pointer.
func isIndex(token string) bool {
	return token != "" && strings.Trim(token, "0123456789") == "" && (token == "0" || token[0] != '0')
}
