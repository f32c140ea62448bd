package clerkhook

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// This file holds the reflective JSON decoding of events: of the types
// fastdecode.go does not decode by hand, and of whatever it gives up on.
// It uses the prototype of the standard library's encoding/json/v2, which
// decodes a Clerk user 2.7 times faster than encoding/json; PERFORMANCE.md
// has the figures.

// decodeOptions make the decoder as lenient as encoding/json: a repeated
// member name keeps the last value, and invalid UTF-8 becomes U+FFFD. The
// signature, checked before, is what vouches for a payload.
var decodeOptions = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// wireEvent is the wire form of an Event whose data decodes into a T.
type wireEvent[T any] struct {
	Type            string           `json:"type"`
	Object          string           `json:"object"`
	Timestamp       int64            `json:"timestamp"`
	InstanceID      string           `json:"instance_id"`
	EventAttributes *EventAttributes `json:"event_attributes"`
	Data            *T               `json:"data"`
}

// event returns the envelope as an Event with the given raw data.
func (w *wireEvent[T]) event(data []byte) *Event {
	return &Event{
		Type:            w.Type,
		Object:          w.Object,
		Timestamp:       w.Timestamp,
		InstanceID:      w.InstanceID,
		EventAttributes: w.EventAttributes,
		Data:            data,
	}
}

// ParseEvent decodes the envelope of a webhook body. It does not verify the
// signature: call it on a body that [Verifier.Verify] has accepted, or let
// [Handler] or [Middleware] do both. The event's Data is a copy of the
// payload's data after the text substitution described at [UserStore].
// Its errors match [ErrInvalidEvent] and never quote the payload. It is
// tolerant, as Clerk's payloads drift: a member other than type and data
// whose value does not fit its field, such as a timestamp sent as a
// string, leaves the field at its zero value.
func ParseEvent(payload []byte) (*Event, error) {
	evt, _, err := parseEvent(payload)
	return evt, err
}

// parseEvent is ParseEvent, which also returns the anomalies of the
// envelope (see unmarshalTolerant).
func parseEvent(payload []byte) (*Event, []string, error) {
	payload = storableJSON(payload)
	// The data is validated and copied as raw bytes, not decoded.
	var w wireEvent[jsontext.Value]
	anomalies, err := unmarshalTolerant(payload, &w, "", envelopeIdentity)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s", ErrInvalidEvent, jsonErrorText(err))
	}
	if w.Type == "" {
		return nil, nil, fmt.Errorf("%w: no type", ErrInvalidEvent)
	}
	if w.Data == nil || w.Data.Kind() != '{' {
		return nil, nil, fmt.Errorf("%w: data is not an object", ErrInvalidEvent)
	}
	return w.event(*w.Data), anomalies, nil
}

// decodeTyped decodes payload in one pass, its data straight into a T, for
// a caller that needs the typed data but not the raw bytes. It succeeds
// only for a valid event of type eventType, whose data must be a T; on
// false the caller takes ParseEvent and a typed accessor, which also
// explain what is wrong.
func decodeTyped[T any](payload []byte, eventType string) (*Event, any, bool) {
	var w wireEvent[T]
	if json.Unmarshal(payload, &w, decodeOptions) != nil || w.Type != eventType || w.Data == nil {
		return nil, nil, false
	}
	return w.event(nil), w.Data, true
}

// guessType guesses, without decoding, the type of an event whose data has
// one of the shapes a Handler stores, from the envelope's "type" member:
// the last one of the payload, where Clerk, which sorts object keys, puts
// it, or the first member, where encoders of Go structs, such as
// clerkhooktest's, put it. It returns "" when it finds neither; decodeEvent
// and decodeTyped check the guess.
func guessType(payload []byte) string {
	const key = `"type"`
	rest := bytes.TrimLeft(payload, " \t\r\n")
	if rest, ok := bytes.CutPrefix(rest, []byte("{")); ok {
		if rest, ok := bytes.CutPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte(key)); ok {
			return typeValue(rest)
		}
	}
	if i := bytes.LastIndex(payload, []byte(key)); i >= 0 {
		return typeValue(payload[i+len(key):])
	}
	return ""
}

// typeValue returns the type whose name is the string after the colon at
// the start of rest, if the Handler decodes it in one pass.
func typeValue(rest []byte) string {
	rest = bytes.TrimLeft(rest, " \t\r\n")
	rest, ok := bytes.CutPrefix(rest, []byte(":"))
	if !ok {
		return ""
	}
	rest, ok = bytes.CutPrefix(bytes.TrimLeft(rest, " \t\r\n"), []byte(`"`))
	if !ok {
		return ""
	}
	name, _, _ := bytes.Cut(rest, []byte(`"`))
	switch string(name) {
	case EventUserCreated:
		return EventUserCreated
	case EventUserUpdated:
		return EventUserUpdated
	case EventUserDeleted:
		return EventUserDeleted
	case EventOrganizationCreated:
		return EventOrganizationCreated
	case EventOrganizationUpdated:
		return EventOrganizationUpdated
	case EventOrganizationDeleted:
		return EventOrganizationDeleted
	case EventOrganizationMembershipCreated:
		return EventOrganizationMembershipCreated
	case EventOrganizationMembershipUpdated:
		return EventOrganizationMembershipUpdated
	case EventOrganizationMembershipDeleted:
		return EventOrganizationMembershipDeleted
	default:
		return ""
	}
}

// decodeData decodes e.Data into a new T after checking that e's type
// carries the shape s.
func decodeData[T any](e *Event, s shape) (*T, error) {
	v, _, err := decodeRecord[T](e, s, nil)
	return v, err
}

// decodeRecord decodes the data of e, which must have the shape sh, into a
// new T, after the text substitution, keeping the data as the T's Raw: by
// hand with read, when read is not nil and does not give up, or with
// unmarshalData, which tolerates drift. It also returns the anomalies,
// which only unmarshalData finds: the hand decoder gives up on a value that
// does not fit.
func decodeRecord[T any](e *Event, sh shape, read func(*scanner, *T)) (*T, []string, error) {
	if err := checkShape(e, sh); err != nil {
		return nil, nil, err
	}
	e = storableData(e)
	if read != nil {
		s := scanner{buf: e.Data}
		v := new(T)
		read(&s, v)
		s.end()
		if !s.failed {
			keepRaw(v, e.Data)
			return v, nil, nil
		}
	}
	v, anomalies, err := unmarshalData[T](e)
	if err != nil {
		return nil, nil, err
	}
	keepRaw(v, e.Data)
	return v, anomalies, nil
}

// unmarshalData decodes e.Data into a new T with the reflective decoder,
// tolerantly: a value that does not fit its field leaves the field at its
// zero value and is returned as an anomaly under "/data", unless it is the
// record's id or version (see recordIdentity).
func unmarshalData[T any](e *Event) (*T, []string, error) {
	v := new(T)
	anomalies, err := unmarshalTolerant(e.Data, v, "/data", recordIdentity)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s data: %s", ErrInvalidEvent, e.Type, jsonErrorText(err))
	}
	return v, anomalies, nil
}

// checkShape reports whether e's type carries the shape s.
func checkShape(e *Event, s shape) error {
	got, ok := eventShapes[e.Type]
	if !ok {
		return fmt.Errorf("%w: %s is not a known event type, so it carries no %s", ErrWrongShape, e.Type, s)
	}
	if got != s {
		return fmt.Errorf("%w: %s carries %s, not %s", ErrWrongShape, e.Type, got, s)
	}
	return nil
}

// unmarshal decodes data into v with the same decoder as the rest of the
// package, for the types whose UnmarshalJSON accepts two layouts.
func unmarshal(data []byte, v any) error { return json.Unmarshal(data, v, decodeOptions) }

// jsonErrorText describes a decoding error without quoting the payload:
// the decoder's own messages include the offending value.
func jsonErrorText(err error) string {
	var semantic *json.SemanticError
	var syntactic *jsontext.SyntacticError
	switch {
	case errors.Is(err, errTooManyAnomalies):
		return err.Error()
	case errors.As(err, &semantic):
		where := ""
		if semantic.JSONPointer != "" {
			where = fmt.Sprintf("field %s: ", semantic.JSONPointer)
		}
		if semantic.GoType == nil || semantic.JSONKind == 0 {
			return where + "cannot decode"
		}
		return fmt.Sprintf("%sJSON %s where %s was expected", where, kindName(semantic.JSONKind), semantic.GoType)
	case errors.As(err, &syntactic):
		return fmt.Sprintf("malformed JSON at byte %d", syntactic.ByteOffset)
	default:
		return "malformed JSON"
	}
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	default:
		return "value"
	}
}
