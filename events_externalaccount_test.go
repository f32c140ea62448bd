package clerkhook_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// externalAccountDecoders decode a user's JSON object each in its own way,
// and return its external accounts: the hand decoder (Event.User), the
// reflective decoder (the user a Session embeds), and encoding/json, which
// Backfill decodes the Backend API's users with.
var externalAccountDecoders = map[string]func(t *testing.T, user string) []clerkhook.ExternalAccount{
	"hand decoder": func(t *testing.T, user string) []clerkhook.ExternalAccount {
		e, err := clerkhook.ParseEvent([]byte(`{"type":"user.updated","object":"event","data":` + user + `}`))
		require.NoError(t, err)
		u, err := e.User()
		require.NoError(t, err)
		return u.ExternalAccounts
	},
	"reflective decoder": func(t *testing.T, user string) []clerkhook.ExternalAccount {
		e, err := clerkhook.ParseEvent([]byte(`{"type":"session.created","object":"event","data":{"id":"sess_2x","user":` + user + `}}`))
		require.NoError(t, err)
		s, err := e.Session()
		require.NoError(t, err)
		require.NotNil(t, s.User)
		return s.User.ExternalAccounts
	},
	"encoding/json": func(t *testing.T, user string) []clerkhook.ExternalAccount {
		var u clerkhook.User
		require.NoError(t, json.Unmarshal([]byte(user), &u))
		return u.ExternalAccounts
	},
}

// TestExternalAccountGoogleShape checks that the older google_account shape
// fills the typed fields the newer keys leave empty, alike in every
// decoder, and that the newer keys win where they are set.
func TestExternalAccountGoogleShape(t *testing.T) {
	const picture = "https://lh3.googleusercontent.com/a/invented=s96-c"
	const proxy = "https://img.clerk.com/invented"
	tests := []struct {
		name    string
		account string
		want    clerkhook.ExternalAccount
	}{
		{
			"older shape only",
			`{"object":"google_account","id":"idn_2xOld","google_id":"1040","given_name":"Ada","family_name":"Lovelace","picture":"` + picture + `"}`,
			clerkhook.ExternalAccount{Object: "google_account", ID: "idn_2xOld", ProviderUserID: "1040", FirstName: "Ada", LastName: "Lovelace", ImageURL: pointerTo(picture)},
		},
		{
			"newer shape only",
			`{"object":"google_account","id":"idn_2xNew","provider_user_id":"1041","first_name":"Ada","last_name":"Byron","image_url":"` + proxy + `"}`,
			clerkhook.ExternalAccount{Object: "google_account", ID: "idn_2xNew", ProviderUserID: "1041", FirstName: "Ada", LastName: "Byron", ImageURL: pointerTo(proxy)},
		},
		{
			"both: the newer keys win, whatever the order",
			`{"google_id":"9","given_name":"G","family_name":"F","picture":"` + picture + `","provider_user_id":"1042","first_name":"Ada","last_name":"King","image_url":"` + proxy + `","picture":"` + picture + `"}`,
			clerkhook.ExternalAccount{ProviderUserID: "1042", FirstName: "Ada", LastName: "King", ImageURL: pointerTo(proxy)},
		},
		{
			"newer keys empty or null: the older fill them",
			`{"provider_user_id":"","first_name":"","last_name":"","image_url":null,"google_id":"1043","given_name":"Ada","family_name":"Lovelace","picture":"` + picture + `"}`,
			clerkhook.ExternalAccount{ProviderUserID: "1043", FirstName: "Ada", LastName: "Lovelace", ImageURL: pointerTo(picture)},
		},
		{
			"an empty image_url is filled too",
			`{"image_url":"","picture":"` + picture + `"}`,
			clerkhook.ExternalAccount{ImageURL: pointerTo(picture)},
		},
		{
			"older keys null or empty: nothing to fill",
			`{"image_url":"","google_id":null,"given_name":"","family_name":null,"picture":""}`,
			clerkhook.ExternalAccount{ImageURL: pointerTo("")},
		},
		{
			"a null account",
			`null`,
			clerkhook.ExternalAccount{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := `{"id":"user_2xGoogle","object":"user","external_accounts":[` + tt.account + `]}`
			for name, decode := range externalAccountDecoders {
				accounts := decode(t, user)
				require.Len(t, accounts, 1, name)
				assert.Equal(t, tt.want, accounts[0], name)
			}
		})
	}
}

// TestExternalAccountGoogleShapeFixture reads the fixture of a Google user
// of 2024, whose account has only Google's keys, with every decoder.
func TestExternalAccountGoogleShapeFixture(t *testing.T) {
	e := readEventFixture(t, "user.updated.google-account.json")
	for name, decode := range externalAccountDecoders {
		accounts := decode(t, string(e.Data))
		require.Len(t, accounts, 1, name)
		a := accounts[0]
		assert.Equal(t, "google_account", a.Object, name)
		assert.Equal(t, "104877293310578266341", a.ProviderUserID, name)
		assert.Equal(t, "Oluwaseun", a.FirstName, name)
		assert.Equal(t, "Adeyemi", a.LastName, name)
		require.NotNil(t, a.ImageURL, name)
		assert.Contains(t, *a.ImageURL, "googleusercontent.com", name)
	}
}
