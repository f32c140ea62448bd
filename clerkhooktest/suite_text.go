package clerkhooktest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/clerkhook/clerkhook"
)

// The records of the AwkwardText cases are what package clerkhook's
// decoder makes of payloads whose text PostgreSQL cannot hold as is: U+0000
// in names and metadata (unsafe_metadata is written by end users), lone
// UTF-16 surrogates in metadata, invalid UTF-8, and a key no struct models.
// Stores receive them with U+FFFD in place of that text, and with Raw set;
// they must store them and read them back as they received them.
const (
	awkwardUserJSON = `{"id":%q,"object":"user","first_name":"Ada\u0000","last_name":"Lov` + "\xe9" + `lace",` +
		`"username":"ada\ud800","email_addresses":[{"id":"idn_2awkward","object":"email_address","email_address":"ada@example.com"}],` +
		`"primary_email_address_id":"idn_2awkward","unsafe_metadata":{"note":"\u0000"},"public_metadata":{"k":"\ud800"},` +
		`"private_metadata":{"x":"\udc00"},"clerkhooktest_unknown":{"nested":"\u0000"},"created_at":%d,"updated_at":%d}`
	awkwardOrganizationJSON = `{"id":%q,"object":"organization","name":"North\u0000wind","slug":"northwind\ud800",` +
		`"public_metadata":{"k":"\u0000"},"max_allowed_memberships":5,"created_at":%d,"updated_at":%d}`
	awkwardMembershipJSON = `{"id":%q,"object":"organization_membership","role":"org:member","permissions":[],` +
		`"organization":{"id":%q,"object":"organization","name":"North\u0000wind","created_at":%d,"updated_at":%d},` +
		`"public_user_data":{"user_id":%q,"first_name":"Ada\u0000","identifier":"ada\u0000@example.com"},` +
		`"public_metadata":{"k":"\ud800"},"created_at":%d,"updated_at":%d}`
)

// decodeAwkward decodes data as the data of an event of type eventType
// with accessor, as the Handler does.
func decodeAwkward[T any](h *harness, eventType, data string, accessor func(*clerkhook.Event) (*T, error)) *T {
	h.t.Helper()
	v, err := accessor(&clerkhook.Event{Type: eventType, Data: json.RawMessage(data)})
	if err != nil {
		h.t.Fatalf("clerkhooktest: decoding the awkward %s: %v", eventType, err)
	}
	return v
}

func awkwardUser(h *harness, n int) *clerkhook.User {
	return decodeAwkward(h, clerkhook.EventUserUpdated,
		fmt.Sprintf(awkwardUserJSON, newID("user_"), h.at(0), h.at(n)), (*clerkhook.Event).User)
}

func awkwardOrganization(h *harness, n int) *clerkhook.Organization {
	return decodeAwkward(h, clerkhook.EventOrganizationUpdated,
		fmt.Sprintf(awkwardOrganizationJSON, newID("org_"), h.at(0), h.at(n)), (*clerkhook.Event).Organization)
}

func awkwardMembership(h *harness, orgID string, n int) *clerkhook.OrganizationMembership {
	return decodeAwkward(h, clerkhook.EventOrganizationMembershipCreated,
		fmt.Sprintf(awkwardMembershipJSON, newID("orgmem_"), orgID, h.at(0), h.at(n), newID("user_"), h.at(0), h.at(n)),
		(*clerkhook.Event).OrganizationMembership)
}

// awkwardTextCase stores the awkward record that v makes and reads it
// back: the fields the store returns, and its Raw when it returns one,
// must be those it was given.
func awkwardTextCase[T any](r *record[T], v func(h *harness, n int) *T) storeCase {
	return storeCase{"AwkwardText", func(h *harness) {
		want := v(h, 1)
		r.mustUpsert(h, want)
		r.expect(h, want)
		if r.read != nil {
			got, err := r.read(h, r.fields(want).key[0].value)
			if err != nil {
				h.t.Fatalf("%s(%s) = %v; want the record", r.readName, r.fields(want).key[0].value, err)
			}
			h.expectRaw(r.readName, rawOf(got), rawOf(want))
		}
	}}
}

// awkwardMembershipCase stores an organization whose name held U+0000 and
// a membership of it, then reads the membership back.
func awkwardMembershipCase(withOrganizations bool) storeCase {
	return storeCase{"AwkwardText", func(h *harness) {
		orgID := newID("org_")
		if withOrganizations {
			o := awkwardOrganization(h, 1)
			o.ID = orgID
			if err := h.s.(clerkhook.OrganizationStore).UpsertOrganization(h.ctx, o); err != nil {
				h.t.Fatalf("UpsertOrganization(an organization whose name held U+0000) = %v; want nil", err)
			}
		}
		want := awkwardMembership(h, orgID, 1)
		h.mustUpsertMembership(want)
		h.expectMembership(want)
		r, ok := h.s.(clerkhook.MembershipReader)
		if !ok {
			return
		}
		got, err := r.Membership(h.ctx, want.OrganizationID(), want.UserID())
		if err != nil {
			h.t.Fatalf("Membership(%s, %s) = %v; want the membership", want.OrganizationID(), want.UserID(), err)
		}
		if name := got.Organization.Name; name != "" && name != want.Organization.Name {
			h.t.Fatalf("Membership(%s, %s) returned organization.name %q; want %q, as stored", want.OrganizationID(), want.UserID(), name, want.Organization.Name)
		}
		h.expectRaw("Membership", got.Raw, want.Raw)
	}}
}

// rawOf returns the Raw field of a record.
func rawOf(v any) json.RawMessage {
	switch r := v.(type) {
	case *clerkhook.User:
		return r.Raw
	case *clerkhook.Organization:
		return r.Raw
	case *clerkhook.OrganizationMembership:
		return r.Raw
	}
	return nil
}

// expectRaw checks that a store that returns a record's Raw returns it
// JSON-equal to what it was given.
func (h *harness) expectRaw(reader string, got, want json.RawMessage) {
	h.t.Helper()
	if len(got) == 0 {
		return
	}
	if canonical(got) != canonical(want) {
		h.t.Fatalf("%s returned Raw %s; want it JSON-equal to the Raw it was given, %s", reader, got, want)
	}
}

// canonical returns raw with its objects' keys sorted and no space, or
// "(invalid JSON)".
func canonical(raw json.RawMessage) string {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "(invalid JSON)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "(invalid JSON)"
	}
	return string(b)
}
