package pgxstore_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clerkhook/clerkhook"
)

// epoch is the creation time of every fixture; version v of a record is
// updated v seconds later.
const epoch clerkhook.UnixMilli = 1_748_779_200_000 // 2025-06-01T12:00:00Z

// at returns the time of version v of a fixture.
func at(v int) clerkhook.UnixMilli { return epoch + clerkhook.UnixMilli(v)*1000 }

func ptr[T any](v T) *T { return &v }

// testUser returns version v of an invented user whose fields all differ
// between versions. Its primary email is not the first one, and its data
// carries metadata to query.
func testUser(id string, v int) *clerkhook.User {
	primaryEmail, primaryPhone := "idn_email_"+id, "idn_phone_"+id
	return &clerkhook.User{
		ID:                    id,
		Object:                "user",
		ExternalID:            ptr("ext-" + id),
		PrimaryEmailAddressID: &primaryEmail,
		PrimaryPhoneNumberID:  &primaryPhone,
		Username:              ptr(fmt.Sprintf("%s_v%d", id, v)),
		FirstName:             ptr(fmt.Sprintf("First %d", v)),
		LastName:              ptr("Example"),
		ImageURL:              "https://img.example.test/" + id,
		PublicMetadata:        json.RawMessage(fmt.Sprintf(`{"plan":"plan-%d"}`, v)),
		PrivateMetadata:       json.RawMessage(`{}`),
		UnsafeMetadata:        json.RawMessage(`{}`),
		EmailAddresses: []clerkhook.EmailAddress{
			{ID: "idn_backup_" + id, Object: "email_address", EmailAddress: "backup-" + id + "@example.test"},
			{ID: primaryEmail, Object: "email_address", EmailAddress: fmt.Sprintf("%s-v%d@example.test", id, v)},
		},
		PhoneNumbers: []clerkhook.PhoneNumber{
			{ID: primaryPhone, Object: "phone_number", PhoneNumber: fmt.Sprintf("+1555000%04d", v)},
		},
		Banned:    v%2 == 1,
		CreatedAt: epoch,
		UpdatedAt: at(v),
	}
}

// testOrganization returns version v of an invented organization.
func testOrganization(id string, v int) *clerkhook.Organization {
	return &clerkhook.Organization{
		ID:             id,
		Object:         "organization",
		Name:           fmt.Sprintf("Org %s v%d", id, v),
		Slug:           ptr(fmt.Sprintf("%s-v%d", id, v)),
		ImageURL:       ptr("https://img.example.test/" + id),
		PublicMetadata: json.RawMessage(`{"tier":"gold"}`),
		CreatedAt:      epoch,
		UpdatedAt:      at(v),
	}
}

// testMembership returns version v of an invented membership of userID in
// orgID.
func testMembership(orgID, userID string, v int) *clerkhook.OrganizationMembership {
	return &clerkhook.OrganizationMembership{
		ID:           fmt.Sprintf("orgmem_%s_%s", orgID, userID),
		Object:       "organization_membership",
		Role:         fmt.Sprintf("org:role_%d", v),
		Permissions:  []string{"org:sys_memberships:read"},
		Organization: clerkhook.Organization{ID: orgID, Object: "organization", Name: "Org " + orgID},
		PublicUserData: clerkhook.PublicUserData{
			UserID:     userID,
			FirstName:  ptr("Member"),
			Identifier: ptr(userID + "@example.test"),
		},
		CreatedAt: epoch,
		UpdatedAt: at(v),
	}
}

// deletedAt returns the time of a deletion that happened as version v.
func deletedAt(v int) time.Time { return at(v).Time() }

// newDeliveryID returns a new random svix-id.
func newDeliveryID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms.
	}
	return "msg_" + hex.EncodeToString(b)
}
