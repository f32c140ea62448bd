package clerkhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestGuessType checks that the Handler's guess finds the envelope's type
// where Clerk puts it and where Go encoders put it, and not a "type" of
// the data, which would send a payload down the slow path.
func TestGuessType(t *testing.T) {
	linked := `"data":{"id":"user_1","email_addresses":[{"linked_to":[{"id":"idn_1","type":"oauth_google"}]}]}`
	for _, tc := range []struct {
		name, payload, want string
	}{
		{"clerk, type last", `{` + linked + `,"object":"event","type":"user.updated"}`, EventUserUpdated},
		{"go encoder, type first", `{"type":"user.created",` + linked + `}`, EventUserCreated},
		{"white space", " {\n  \"type\" : \"organization.updated\",\n" + linked + "\n}", EventOrganizationUpdated},
		{"type last, white space", "{" + linked + ",\n \"type\" :\t\"organizationMembership.deleted\"\n}", EventOrganizationMembershipDeleted},
		{"a type not decoded in one pass", `{"type":"session.created","data":{}}`, ""},
		{"only the data's type", `{` + linked + `}`, ""},
		{"no type", `{"data":{}}`, ""},
		{"not a string", `{"data":{},"type":1}`, ""},
		{"empty", ``, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, guessType([]byte(tc.payload)))
		})
	}
}
