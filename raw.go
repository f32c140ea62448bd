package clerkhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

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
// API, keeping it as the user's Raw, after the text substitution. It
// returns the places of the values left at zero, as unmarshalTolerant
// does.
func decodeUserObject(data []byte) (*User, []string, error) {
	data = storableJSON(data)
	var u User
	// The Backend API drifts as the webhooks do: a value that does not fit
	// its field is left at zero, and Raw keeps it.
	anomalies, err := unmarshalTolerant(data, &u, "", recordIdentity)
	if err != nil {
		return nil, nil, err
	}
	keepRaw(&u, data)
	return &u, anomalies, nil
}

// decodeUserList decodes the Backend API's JSON array of users, each of
// them keeping its own object as its Raw. A null element is a nil user. It
// returns, once each, the places in a user object of the values left at
// zero.
func decodeUserList(body []byte) ([]*User, []string, error) {
	var objects []jsontext.Value
	if err := jsonv2.Unmarshal(storableJSON(body), &objects, decodeOptions); err != nil {
		return nil, nil, err
	}
	users := make([]*User, len(objects))
	var anomalies []string
	for i, obj := range objects {
		if obj.Kind() == 'n' {
			continue
		}
		u, found, err := decodeUserObject(obj)
		if err != nil {
			return nil, nil, fmt.Errorf("user %d: %w", i, err)
		}
		users[i] = u
		anomalies = addAnomalies(anomalies, found)
	}
	return users, anomalies, nil
}

// addAnomalies adds to list the places of found it does not hold yet.
func addAnomalies(list, found []string) []string {
	for _, p := range found {
		if !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	return list
}
