package clerkhook

import (
	"bytes"
	"encoding/json"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// This file keeps the raw data of the records stores write (the Raw field
// of User, Organization and OrganizationMembership) beside their typed
// fields.

// rawHolder is a record with a Raw field.
type rawHolder interface {
	rawData() json.RawMessage
	setRaw(json.RawMessage)
}

func (u *User) rawData() json.RawMessage                   { return u.Raw }
func (u *User) setRaw(raw json.RawMessage)                 { u.Raw = raw }
func (o *Organization) rawData() json.RawMessage           { return o.Raw }
func (o *Organization) setRaw(raw json.RawMessage)         { o.Raw = raw }
func (m *OrganizationMembership) rawData() json.RawMessage { return m.Raw }
func (m *OrganizationMembership) setRaw(raw json.RawMessage) {
	m.Raw = raw
}

// keepRaw sets the Raw field of v, when it has one, to a copy of data, the
// JSON object v was decoded from. It leaves Raw nil when data is not an
// object (the JSON null, for one).
func keepRaw(v any, data []byte) {
	r, ok := v.(rawHolder)
	if !ok {
		return
	}
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] != '{' {
		return
	}
	r.setRaw(bytes.TrimRight(bytes.Clone(data), " \t\r\n"))
}

// copyRaw sets the Raw field of dst to a copy of that of src, for copies
// made through JSON, which leaves it out.
func copyRaw(dst, src any) {
	if s, ok := src.(rawHolder); ok {
		if d, ok := dst.(rawHolder); ok {
			d.setRaw(bytes.Clone(s.rawData()))
		}
	}
}

// decodeUserObject decodes the JSON object of one user from the Backend
// API, keeping it as the user's Raw, after the text substitution.
func decodeUserObject(data []byte) (*User, error) {
	data = storableJSON(data)
	var u User
	// The Backend API drifts as the webhooks do: a value that does not fit
	// its field is left at zero, and Raw keeps it.
	if _, err := unmarshalTolerant(data, &u, "", recordIdentity); err != nil {
		return nil, err
	}
	keepRaw(&u, data)
	return &u, nil
}

// decodeUserList decodes the Backend API's JSON array of users, each of
// them keeping its own object as its Raw. A null element is a nil user.
func decodeUserList(body []byte) ([]*User, error) {
	var objects []jsontext.Value
	if err := jsonv2.Unmarshal(storableJSON(body), &objects, decodeOptions); err != nil {
		return nil, err
	}
	users := make([]*User, len(objects))
	for i, obj := range objects {
		if obj.Kind() == 'n' {
			continue
		}
		u, err := decodeUserObject(obj)
		if err != nil {
			return nil, fmt.Errorf("user %d: %w", i, err)
		}
		users[i] = u
	}
	return users, nil
}
