package clerkhooktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
)

// InstanceID is the instance_id of the events the builders make. Set the
// Event's InstanceID to pose as another instance.
const InstanceID = "ins_2clerkhooktest00000000000"

// UserCreated returns a user.created event: a user who signed up with an
// email address verified by a code, and a password.
func UserCreated(overrides ...func(*clerkhook.User)) (*clerkhook.Event, error) {
	now := nowMilli()
	return build(clerkhook.EventUserCreated, now, newUser(now), overrides, userUpdatedAt)
}

// UserUpdated returns a user.updated event: a user created days ago, who
// has since signed in, added a verified phone number and been given
// metadata.
func UserUpdated(overrides ...func(*clerkhook.User)) (*clerkhook.Event, error) {
	now := nowMilli()
	u := newUser(now - 3*day)
	u.UpdatedAt = now - 15
	u.LastSignInAt = ptr(now - hour)
	u.LastActiveAt = ptr(now - hour)
	phoneID := newID("idn_")
	u.PhoneNumbers = []clerkhook.PhoneNumber{{
		ID:     phoneID,
		Object: "phone_number",
		// +1 555 555 01xx is reserved for fiction.
		PhoneNumber: fmt.Sprintf("+15555550%03d", 100+rand.IntN(100)),
		Verification: &clerkhook.Verification{
			Object:   "verification_otp",
			Status:   "verified",
			Strategy: "phone_code",
			Attempts: ptr(1),
			ExpireAt: ptr(now - 2*minute + 10*minute),
			Channel:  ptr("sms"),
		},
		LinkedTo:  []clerkhook.IdentificationLink{},
		CreatedAt: now - 2*minute,
		UpdatedAt: now - 90*second,
	}}
	u.PrimaryPhoneNumberID = &phoneID
	u.PublicMetadata = json.RawMessage(`{"plan":"pro"}`)
	u.PrivateMetadata = json.RawMessage(`{"crm_id":"crm-1042"}`)
	u.UnsafeMetadata = json.RawMessage(`{"onboarding_complete":true}`)
	return build(clerkhook.EventUserUpdated, now, u, overrides, userUpdatedAt)
}

// UserDeleted returns a user.deleted event. Like Clerk's, it names the
// user and nothing more; set its ID with an override to delete a user made
// by another builder.
func UserDeleted(overrides ...func(*clerkhook.DeletedObject)) (*clerkhook.Event, error) {
	d := &clerkhook.DeletedObject{Object: "user", ID: newID("user_"), Deleted: true}
	return build(clerkhook.EventUserDeleted, nowMilli(), d, overrides, nil)
}

// OrganizationCreated returns an organization.created event: an
// organization just created by a user, its only member.
func OrganizationCreated(overrides ...func(*clerkhook.Organization)) (*clerkhook.Event, error) {
	now := nowMilli()
	return build(clerkhook.EventOrganizationCreated, now, newOrganization(now), overrides, organizationUpdatedAt)
}

// OrganizationUpdated returns an organization.updated event: an
// organization created days ago, with three members and metadata.
func OrganizationUpdated(overrides ...func(*clerkhook.Organization)) (*clerkhook.Event, error) {
	now := nowMilli()
	o := newOrganization(now - 3*day)
	o.UpdatedAt = now - 15
	o.MembersCount = ptr(3)
	o.PublicMetadata = json.RawMessage(`{"tier":"business"}`)
	return build(clerkhook.EventOrganizationUpdated, now, o, overrides, organizationUpdatedAt)
}

// OrganizationDeleted returns an organization.deleted event, which names
// the organization by id and slug.
func OrganizationDeleted(overrides ...func(*clerkhook.DeletedObject)) (*clerkhook.Event, error) {
	now := nowMilli()
	o := newOrganization(now)
	d := &clerkhook.DeletedObject{Object: "organization", ID: o.ID, Slug: o.Slug, Deleted: true}
	return build(clerkhook.EventOrganizationDeleted, now, d, overrides, nil)
}

// OrganizationMembershipCreated returns an organizationMembership.created
// event: a user who just joined an organization as a member.
func OrganizationMembershipCreated(overrides ...func(*clerkhook.OrganizationMembership)) (*clerkhook.Event, error) {
	now := nowMilli()
	return build(clerkhook.EventOrganizationMembershipCreated, now, newMembership(now), overrides, membershipUpdatedAt)
}

// OrganizationMembershipUpdated returns an organizationMembership.updated
// event: a member of some days made an admin.
func OrganizationMembershipUpdated(overrides ...func(*clerkhook.OrganizationMembership)) (*clerkhook.Event, error) {
	now := nowMilli()
	m := newMembership(now - 3*day)
	m.UpdatedAt = now - 15
	m.Role, m.RoleName, m.Permissions = "org:admin", "Admin", adminPermissions()
	return build(clerkhook.EventOrganizationMembershipUpdated, now, m, overrides, membershipUpdatedAt)
}

// OrganizationMembershipDeleted returns an organizationMembership.deleted
// event, which carries the whole membership as it was when the member
// left.
func OrganizationMembershipDeleted(overrides ...func(*clerkhook.OrganizationMembership)) (*clerkhook.Event, error) {
	now := nowMilli()
	m := newMembership(now - 3*day)
	m.UpdatedAt = now - 15
	return build(clerkhook.EventOrganizationMembershipDeleted, now, m, overrides, membershipUpdatedAt)
}

// NewEvent returns an event of any type carrying data, which must encode to
// a JSON object; a json.RawMessage is taken as it is. It is for the event
// types that have no builder of their own.
func NewEvent(eventType string, data any) (*clerkhook.Event, error) {
	if eventType == "" {
		return nil, errors.New("clerkhooktest: NewEvent with an empty event type")
	}
	return encode(eventType, nowMilli(), data)
}

// build applies the overrides to v and encodes it as the data of an event.
// updatedAt, when not nil, reads v's updated_at, which the envelope's
// timestamp must not precede.
func build[T any](eventType string, now clerkhook.UnixMilli, v *T, overrides []func(*T), updatedAt func(*T) clerkhook.UnixMilli) (*clerkhook.Event, error) {
	for i, o := range overrides {
		if o == nil {
			return nil, fmt.Errorf("clerkhooktest: override #%d of a %s event is nil", i+1, eventType)
		}
		o(v)
	}
	if updatedAt != nil {
		now = max(now, updatedAt(v))
	}
	return encode(eventType, now, v)
}

func encode(eventType string, at clerkhook.UnixMilli, data any) (*clerkhook.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("clerkhooktest: encoding the data of a %s event: %w", eventType, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("clerkhooktest: the data of a %s event must encode to a JSON object", eventType)
	}
	return &clerkhook.Event{
		ID:         newDeliveryID(),
		Type:       eventType,
		Object:     "event",
		Timestamp:  int64(at),
		InstanceID: InstanceID,
		EventAttributes: &clerkhook.EventAttributes{HTTPRequest: &clerkhook.HTTPRequestAttributes{
			ClientIP:  "192.0.2.24",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
		}},
		Data: raw,
	}, nil
}

// Durations in milliseconds, the unit of Clerk's times.
const (
	second clerkhook.UnixMilli = 1000
	minute                     = 60 * second
	hour                       = 60 * minute
	day                        = 24 * hour
)

func nowMilli() clerkhook.UnixMilli { return clerkhook.UnixMilli(time.Now().UnixMilli()) }

func ptr[T any](v T) *T { return &v }

func userUpdatedAt(u *clerkhook.User) clerkhook.UnixMilli                         { return u.UpdatedAt }
func organizationUpdatedAt(o *clerkhook.Organization) clerkhook.UnixMilli         { return o.UpdatedAt }
func membershipUpdatedAt(m *clerkhook.OrganizationMembership) clerkhook.UnixMilli { return m.UpdatedAt }

// newUser returns a user who signed up with an email address and a
// password, and was created and last updated just before now.
func newUser(now clerkhook.UnixMilli) *clerkhook.User {
	id := newID("user_")
	emailID := newID("idn_")
	createdAt := now - 40
	return &clerkhook.User{
		ID:                    id,
		Object:                "user",
		PrimaryEmailAddressID: &emailID,
		FirstName:             ptr("Ada"),
		LastName:              ptr("Example"),
		Locale:                ptr("en-US"),
		ImageURL:              "https://img.clerk.com/" + strings.ToLower(id[len(id)-12:]),
		ProfileImageURL:       "https://www.gravatar.com/avatar?d=mp",
		PublicMetadata:        json.RawMessage(`{}`),
		PrivateMetadata:       json.RawMessage(`{}`),
		UnsafeMetadata:        json.RawMessage(`{}`),
		EmailAddresses: []clerkhook.EmailAddress{{
			ID:     emailID,
			Object: "email_address",
			// The id's random part keeps addresses unique, for stores
			// that require it.
			EmailAddress: "ada." + strings.ToLower(id[len("user_"):]) + "@example.com",
			Verification: &clerkhook.Verification{
				Object:   "verification_otp",
				Status:   "verified",
				Strategy: "email_code",
				Attempts: ptr(1),
				ExpireAt: ptr(createdAt - 20*second + 10*minute),
			},
			LinkedTo:  []clerkhook.IdentificationLink{},
			CreatedAt: createdAt - 20*second,
			UpdatedAt: createdAt + 8,
		}},
		PhoneNumbers:                  []clerkhook.PhoneNumber{},
		Web3Wallets:                   []clerkhook.Web3Wallet{},
		Passkeys:                      []clerkhook.Passkey{},
		ExternalAccounts:              []clerkhook.ExternalAccount{},
		SAMLAccounts:                  []clerkhook.SAMLAccount{},
		EnterpriseAccounts:            []clerkhook.EnterpriseAccount{},
		PasswordEnabled:               true,
		PasswordLastUpdatedAt:         ptr(createdAt - 20*second),
		VerificationAttemptsRemaining: ptr(int64(100)),
		DeleteSelfEnabled:             true,
		CreateOrganizationEnabled:     true,
		LastActiveAt:                  ptr(createdAt),
		CreatedAt:                     createdAt,
		UpdatedAt:                     createdAt + 20,
	}
}

// newOrganization returns an organization created just before now by a
// user who is its only member.
func newOrganization(now clerkhook.UnixMilli) *clerkhook.Organization {
	id := newID("org_")
	createdAt := now - 40
	return &clerkhook.Organization{
		ID:                      id,
		Object:                  "organization",
		Name:                    "Northwind Labs",
		Slug:                    ptr("northwind-labs-" + strings.ToLower(id[len(id)-8:])),
		ImageURL:                ptr("https://img.clerk.com/" + strings.ToLower(id[len(id)-12:])),
		MembersCount:            ptr(1),
		PendingInvitationsCount: ptr(0),
		MaxAllowedMemberships:   5,
		AdminDeleteEnabled:      true,
		PublicMetadata:          json.RawMessage(`{}`),
		PrivateMetadata:         json.RawMessage(`{}`),
		CreatedBy:               ptr(newID("user_")),
		RoleSetKey:              ptr("role_set:default"),
		LastActiveAt:            ptr(createdAt),
		CreatedAt:               createdAt,
		UpdatedAt:               createdAt,
	}
}

// newMembership returns the membership of a user who joined an
// organization as a member just before now.
func newMembership(now clerkhook.UnixMilli) *clerkhook.OrganizationMembership {
	org := newOrganization(now - 2*day)
	userID := newID("user_")
	return &clerkhook.OrganizationMembership{
		ID:              newID("orgmem_"),
		Object:          "organization_membership",
		Role:            "org:member",
		RoleName:        "Member",
		Permissions:     []string{"org:sys_memberships:read"},
		PublicMetadata:  json.RawMessage(`{}`),
		PrivateMetadata: json.RawMessage(`{}`),
		Organization:    *org,
		PublicUserData: clerkhook.PublicUserData{
			UserID:          userID,
			FirstName:       ptr("Grace"),
			LastName:        ptr("Example"),
			ImageURL:        "https://img.clerk.com/" + strings.ToLower(userID[len(userID)-12:]),
			Identifier:      ptr("grace." + strings.ToLower(userID[len("user_"):]) + "@example.com"),
			ProfileImageURL: ptr("https://www.gravatar.com/avatar?d=mp"),
			Username:        ptr("grace" + strings.ToLower(userID[len(userID)-6:])),
		},
		CreatedAt: now - 20,
		UpdatedAt: now - 20,
	}
}

func adminPermissions() []string {
	return []string{
		"org:sys_profile:manage",
		"org:sys_profile:delete",
		"org:sys_memberships:read",
		"org:sys_memberships:manage",
		"org:sys_domains:read",
		"org:sys_domains:manage",
	}
}
