package clerkhook

import (
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// This file reads the two shapes of an ExternalAccount, alike in the hand
// decoder (fastdecode.go), the reflective one and encoding/json.

// googleAccountKeys are the keys of the older google_account shape that
// repeat, or alone carry, the typed fields of an [ExternalAccount].
type googleAccountKeys struct {
	GoogleID   string `json:"google_id"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Picture    string `json:"picture"`
}

// fill sets the typed fields of a that the newer keys left empty from the
// keys of the older shape.
func (g *googleAccountKeys) fill(a *ExternalAccount) {
	if a.ProviderUserID == "" {
		a.ProviderUserID = g.GoogleID
	}
	if a.FirstName == "" {
		a.FirstName = g.GivenName
	}
	if a.LastName == "" {
		a.LastName = g.FamilyName
	}
	if g.Picture != "" && (a.ImageURL == nil || *a.ImageURL == "") {
		picture := g.Picture
		a.ImageURL = &picture
	}
}

// plainExternalAccount is an ExternalAccount without its methods, so that
// decoding one does not recurse.
type plainExternalAccount ExternalAccount

// externalAccountShapes is what the reflective decoders decode an
// external account into: its fields and the keys of the older shape.
type externalAccountShapes struct {
	*plainExternalAccount
	googleAccountKeys
}

// UnmarshalJSONFrom decodes a from either shape of an external account,
// with the options of dec, for the reflective decoder.
func (a *ExternalAccount) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	aux := externalAccountShapes{plainExternalAccount: (*plainExternalAccount)(a)}
	if err := json.UnmarshalDecode(dec, &aux); err != nil {
		return err
	}
	aux.fill(a)
	return nil
}

// UnmarshalJSON decodes a from either shape of an external account, for
// encoding/json: programs that decode users with it, and the copies the
// MemoryStore's readers return.
func (a *ExternalAccount) UnmarshalJSON(data []byte) error {
	aux := externalAccountShapes{plainExternalAccount: (*plainExternalAccount)(a)}
	if err := unmarshal(data, &aux); err != nil {
		return err
	}
	aux.fill(a)
	return nil
}
