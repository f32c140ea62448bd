package clerkhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// ErrInvalidEvent is matched by the errors [ParseEvent] and the typed
// accessors of [Event] return for a payload that is not a well-formed Clerk
// event: not a JSON object, no type, no data object, or data that does not
// decode into the shape its type promises.
var ErrInvalidEvent = errors.New("clerkhook: invalid event")

// ErrWrongShape is matched by the error a typed accessor of [Event] returns
// when the event's type carries another shape of data, for example
// [Event.User] on an organization.created event.
var ErrWrongShape = errors.New("clerkhook: event data has another shape")

// Event is one Clerk webhook delivery: the envelope of the body, plus the
// delivery id from the svix-id header. Data stays raw until one of the typed
// accessors, named after the shape, decodes it.
type Event struct {
	// ID is the delivery id from the svix-id (or webhook-id) header. It is
	// the same on every retry of a delivery, which makes it the key for
	// deduplication. ParseEvent leaves it empty; Handler and Middleware
	// fill it in.
	ID string `json:"-"`

	// Type is the event type, such as "user.created"; see [EventTypes].
	Type string `json:"type"`
	// Object is always "event".
	Object string `json:"object"`
	// Timestamp is when the event happened, in Unix milliseconds; see
	// [Event.Time].
	Timestamp int64 `json:"timestamp"`
	// InstanceID identifies the Clerk instance; development and production
	// instances have different ids.
	InstanceID string `json:"instance_id"`
	// EventAttributes describes the request that caused the event. Older
	// deliveries do not carry it.
	EventAttributes *EventAttributes `json:"event_attributes,omitempty"`
	// Data is the resource the event is about, undecoded.
	Data json.RawMessage `json:"data"`
}

// EventAttributes is the event_attributes object of the envelope.
type EventAttributes struct {
	HTTPRequest *HTTPRequestAttributes `json:"http_request,omitempty"`
}

// HTTPRequestAttributes describes the HTTP request that caused an event: the
// end user's browser, or the server that called Clerk's Backend API.
type HTTPRequestAttributes struct {
	ClientIP  string `json:"client_ip"`
	UserAgent string `json:"user_agent"`
}

// Time returns when the event happened. Clerk sends milliseconds; the
// example events of Clerk's documentation carry seconds, so a value too
// small to be a date in milliseconds is read as seconds.
func (e *Event) Time() time.Time {
	const firstMilliDate = 1e12 // 2001-09-09 in milliseconds, 33658 AD in seconds
	if e.Timestamp > 0 && e.Timestamp < firstMilliDate {
		return time.Unix(e.Timestamp, 0)
	}
	return time.UnixMilli(e.Timestamp)
}

// Known reports whether the event's type is one of [EventTypes]. An event
// of an unknown type still parses, and its Data is kept raw.
func (e *Event) Known() bool {
	_, ok := eventShapes[e.Type]
	return ok
}

// ParseEvent decodes the envelope of a webhook body. It does not verify the
// signature: call it on a body that [Verifier.Verify] has accepted, or let
// [Handler] or [Middleware] do both. Its errors match [ErrInvalidEvent].
func ParseEvent(payload []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidEvent, jsonErrorText(err))
	}
	if e.Type == "" {
		return nil, fmt.Errorf("%w: no type", ErrInvalidEvent)
	}
	if len(e.Data) == 0 || e.Data[0] != '{' {
		return nil, fmt.Errorf("%w: data is not an object", ErrInvalidEvent)
	}
	return &e, nil
}

// jsonErrorText describes a decoding error without quoting the payload.
func jsonErrorText(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %s: JSON %s where %s was expected", typ.Field, typ.Value, typ.Type)
		}
		return fmt.Sprintf("JSON %s where %s was expected", typ.Value, typ.Type)
	default:
		return "malformed JSON"
	}
}

// decodeData decodes e.Data into v after checking that e's type carries
// the shape s.
func decodeData[T any](e *Event, s shape) (*T, error) {
	got, ok := eventShapes[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a known event type, so it carries no %s", ErrWrongShape, e.Type, s)
	}
	if got != s {
		return nil, fmt.Errorf("%w: %s carries %s, not %s", ErrWrongShape, e.Type, got, s)
	}
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return nil, fmt.Errorf("%w: %s data: %s", ErrInvalidEvent, e.Type, jsonErrorText(err))
	}
	return &v, nil
}

// UnixMilli is a point in time as Clerk sends it: milliseconds since the
// Unix epoch.
type UnixMilli int64

// Time returns m as a time.Time, or the zero Time for 0.
func (m UnixMilli) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m))
}

// String formats m as an RFC 3339 time in UTC.
func (m UnixMilli) String() string {
	return m.Time().UTC().Format(time.RFC3339Nano)
}

// isNull reports whether raw is absent or the JSON null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// The event types Clerk sends, as listed in Clerk's OpenAPI description of
// its webhooks (version 2025-04-15) plus subscriptionItem.created, which
// Clerk's JavaScript types still carry.
const (
	EventUserCreated = "user.created"
	EventUserUpdated = "user.updated"
	EventUserDeleted = "user.deleted"

	EventSessionCreated = "session.created"
	EventSessionPending = "session.pending"
	EventSessionEnded   = "session.ended"
	EventSessionRemoved = "session.removed"
	EventSessionRevoked = "session.revoked"

	EventEmailCreated = "email.created"
	EventSMSCreated   = "sms.created"

	EventOrganizationCreated = "organization.created"
	EventOrganizationUpdated = "organization.updated"
	EventOrganizationDeleted = "organization.deleted"

	EventOrganizationDomainCreated = "organizationDomain.created"
	EventOrganizationDomainUpdated = "organizationDomain.updated"
	EventOrganizationDomainDeleted = "organizationDomain.deleted"

	EventOrganizationMembershipCreated = "organizationMembership.created"
	EventOrganizationMembershipUpdated = "organizationMembership.updated"
	EventOrganizationMembershipDeleted = "organizationMembership.deleted"

	EventOrganizationInvitationCreated  = "organizationInvitation.created"
	EventOrganizationInvitationAccepted = "organizationInvitation.accepted"
	EventOrganizationInvitationRevoked  = "organizationInvitation.revoked"

	EventRoleCreated = "role.created"
	EventRoleUpdated = "role.updated"
	EventRoleDeleted = "role.deleted"

	EventPermissionCreated = "permission.created"
	EventPermissionUpdated = "permission.updated"
	EventPermissionDeleted = "permission.deleted"

	EventWaitlistEntryCreated = "waitlistEntry.created"
	EventWaitlistEntryUpdated = "waitlistEntry.updated"

	EventSubscriptionCreated = "subscription.created"
	EventSubscriptionUpdated = "subscription.updated"
	EventSubscriptionActive  = "subscription.active"
	EventSubscriptionPastDue = "subscription.pastDue"

	EventSubscriptionItemCreated         = "subscriptionItem.created"
	EventSubscriptionItemUpdated         = "subscriptionItem.updated"
	EventSubscriptionItemActive          = "subscriptionItem.active"
	EventSubscriptionItemCanceled        = "subscriptionItem.canceled"
	EventSubscriptionItemUpcoming        = "subscriptionItem.upcoming"
	EventSubscriptionItemEnded           = "subscriptionItem.ended"
	EventSubscriptionItemAbandoned       = "subscriptionItem.abandoned"
	EventSubscriptionItemIncomplete      = "subscriptionItem.incomplete"
	EventSubscriptionItemPastDue         = "subscriptionItem.pastDue"
	EventSubscriptionItemFreeTrialEnding = "subscriptionItem.freeTrialEnding"

	EventPaymentAttemptCreated = "paymentAttempt.created"
	EventPaymentAttemptUpdated = "paymentAttempt.updated"
)

// shape names the Go type an event's data decodes into.
type shape string

const (
	shapeUser                   shape = "a User"
	shapeDeletedObject          shape = "a DeletedObject"
	shapeSession                shape = "a Session"
	shapeEmail                  shape = "an Email"
	shapeSMSMessage             shape = "an SMSMessage"
	shapeOrganization           shape = "an Organization"
	shapeOrganizationDomain     shape = "an OrganizationDomain"
	shapeOrganizationMembership shape = "an OrganizationMembership"
	shapeOrganizationInvitation shape = "an OrganizationInvitation"
	shapeRole                   shape = "a Role"
	shapePermission             shape = "a Permission"
	shapeWaitlistEntry          shape = "a WaitlistEntry"
	shapeSubscription           shape = "a Subscription"
	shapeSubscriptionItem       shape = "a SubscriptionItem"
	shapePaymentAttempt         shape = "a PaymentAttempt"
)

// eventShapes is the catalog: every known event type and the shape of its
// data. It is never written after initialization.
var eventShapes = map[string]shape{
	EventUserCreated: shapeUser,
	EventUserUpdated: shapeUser,
	EventUserDeleted: shapeDeletedObject,

	EventSessionCreated: shapeSession,
	EventSessionPending: shapeSession,
	EventSessionEnded:   shapeSession,
	EventSessionRemoved: shapeSession,
	EventSessionRevoked: shapeSession,

	EventEmailCreated: shapeEmail,
	EventSMSCreated:   shapeSMSMessage,

	EventOrganizationCreated: shapeOrganization,
	EventOrganizationUpdated: shapeOrganization,
	EventOrganizationDeleted: shapeDeletedObject,

	EventOrganizationDomainCreated: shapeOrganizationDomain,
	EventOrganizationDomainUpdated: shapeOrganizationDomain,
	EventOrganizationDomainDeleted: shapeDeletedObject,

	EventOrganizationMembershipCreated: shapeOrganizationMembership,
	EventOrganizationMembershipUpdated: shapeOrganizationMembership,
	EventOrganizationMembershipDeleted: shapeOrganizationMembership,

	EventOrganizationInvitationCreated:  shapeOrganizationInvitation,
	EventOrganizationInvitationAccepted: shapeOrganizationInvitation,
	EventOrganizationInvitationRevoked:  shapeOrganizationInvitation,

	EventRoleCreated: shapeRole,
	EventRoleUpdated: shapeRole,
	EventRoleDeleted: shapeDeletedObject,

	EventPermissionCreated: shapePermission,
	EventPermissionUpdated: shapePermission,
	EventPermissionDeleted: shapeDeletedObject,

	EventWaitlistEntryCreated: shapeWaitlistEntry,
	EventWaitlistEntryUpdated: shapeWaitlistEntry,

	EventSubscriptionCreated: shapeSubscription,
	EventSubscriptionUpdated: shapeSubscription,
	EventSubscriptionActive:  shapeSubscription,
	EventSubscriptionPastDue: shapeSubscription,

	EventSubscriptionItemCreated:         shapeSubscriptionItem,
	EventSubscriptionItemUpdated:         shapeSubscriptionItem,
	EventSubscriptionItemActive:          shapeSubscriptionItem,
	EventSubscriptionItemCanceled:        shapeSubscriptionItem,
	EventSubscriptionItemUpcoming:        shapeSubscriptionItem,
	EventSubscriptionItemEnded:           shapeSubscriptionItem,
	EventSubscriptionItemAbandoned:       shapeSubscriptionItem,
	EventSubscriptionItemIncomplete:      shapeSubscriptionItem,
	EventSubscriptionItemPastDue:         shapeSubscriptionItem,
	EventSubscriptionItemFreeTrialEnding: shapeSubscriptionItem,

	EventPaymentAttemptCreated: shapePaymentAttempt,
	EventPaymentAttemptUpdated: shapePaymentAttempt,
}

// EventTypes returns every event type Clerk is known to send, sorted. The
// slice is new on each call.
func EventTypes() []string {
	types := make([]string, 0, len(eventShapes))
	for t := range eventShapes {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// User returns the data of a user.created or user.updated event.
func (e *Event) User() (*User, error) { return decodeData[User](e, shapeUser) }

// DeletedObject returns the data of user.deleted, organization.deleted,
// organizationDomain.deleted, role.deleted and permission.deleted events.
func (e *Event) DeletedObject() (*DeletedObject, error) {
	return decodeData[DeletedObject](e, shapeDeletedObject)
}

// Organization returns the data of an organization.created or
// organization.updated event.
func (e *Event) Organization() (*Organization, error) {
	return decodeData[Organization](e, shapeOrganization)
}

// OrganizationMembership returns the data of an organizationMembership.*
// event; organizationMembership.deleted carries the whole membership too.
func (e *Event) OrganizationMembership() (*OrganizationMembership, error) {
	return decodeData[OrganizationMembership](e, shapeOrganizationMembership)
}

// User is a Clerk user, as user.created and user.updated events and the
// Backend API's user list carry it.
type User struct {
	ID                    string  `json:"id"`
	Object                string  `json:"object"`
	ExternalID            *string `json:"external_id"`
	PrimaryEmailAddressID *string `json:"primary_email_address_id"`
	PrimaryPhoneNumberID  *string `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID   *string `json:"primary_web3_wallet_id"`
	Username              *string `json:"username"`
	FirstName             *string `json:"first_name"`
	LastName              *string `json:"last_name"`
	Locale                *string `json:"locale,omitempty"`
	ImageURL              string  `json:"image_url,omitempty"`
	HasImage              bool    `json:"has_image"`
	// ProfileImageURL is deprecated by Clerk in favour of ImageURL.
	ProfileImageURL string `json:"profile_image_url,omitempty"`

	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata,omitempty"`

	EmailAddresses     []EmailAddress      `json:"email_addresses"`
	PhoneNumbers       []PhoneNumber       `json:"phone_numbers"`
	Web3Wallets        []Web3Wallet        `json:"web3_wallets"`
	Passkeys           []Passkey           `json:"passkeys"`
	ExternalAccounts   []ExternalAccount   `json:"external_accounts"`
	SAMLAccounts       []SAMLAccount       `json:"saml_accounts"`
	EnterpriseAccounts []EnterpriseAccount `json:"enterprise_accounts,omitempty"`
	// OrganizationMemberships is rarely present in webhook payloads.
	OrganizationMemberships []OrganizationMembership `json:"organization_memberships,omitempty"`

	PasswordEnabled       bool       `json:"password_enabled"`
	TwoFactorEnabled      bool       `json:"two_factor_enabled"`
	TOTPEnabled           bool       `json:"totp_enabled"`
	BackupCodeEnabled     bool       `json:"backup_code_enabled"`
	MFAEnabledAt          *UnixMilli `json:"mfa_enabled_at"`
	MFADisabledAt         *UnixMilli `json:"mfa_disabled_at"`
	PasswordLastUpdatedAt *UnixMilli `json:"password_last_updated_at,omitempty"`

	Banned        bool `json:"banned"`
	Locked        bool `json:"locked"`
	Deprovisioned bool `json:"deprovisioned,omitempty"`
	// LockoutExpiresInSeconds is a duration in seconds; nil on a locked user
	// means the lockout never expires.
	LockoutExpiresInSeconds       *int64 `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64 `json:"verification_attempts_remaining"`

	DeleteSelfEnabled         bool `json:"delete_self_enabled"`
	CreateOrganizationEnabled bool `json:"create_organization_enabled"`
	// CreateOrganizationsLimit is 0 for no limit.
	CreateOrganizationsLimit *int `json:"create_organizations_limit,omitempty"`
	BypassClientTrust        bool `json:"bypass_client_trust,omitempty"`

	LastSignInAt *UnixMilli `json:"last_sign_in_at"`
	// LastActiveAt has a precision of one day.
	LastActiveAt    *UnixMilli `json:"last_active_at"`
	LegalAcceptedAt *UnixMilli `json:"legal_accepted_at"`
	CreatedAt       UnixMilli  `json:"created_at"`
	// UpdatedAt orders the versions of a user: stores keep the newest.
	UpdatedAt UnixMilli `json:"updated_at"`

	// SCIM is set on users provisioned by a directory.
	SCIM *SCIM `json:"scim,omitempty"`
}

// SCIM describes the directory that provisioned a user.
type SCIM struct {
	DirectoryID      string  `json:"directory_id"`
	DirectoryEnabled bool    `json:"directory_enabled,omitempty"`
	ExternalID       *string `json:"external_id"`
}

// PrimaryEmail returns the address of the user's primary email, found
// through PrimaryEmailAddressID, or "" when the user has none (phone-only,
// web3 and some OAuth users). The first entry of EmailAddresses is not
// necessarily the primary one.
func (u *User) PrimaryEmail() string {
	if u.PrimaryEmailAddressID == nil {
		return ""
	}
	for _, e := range u.EmailAddresses {
		if e.ID == *u.PrimaryEmailAddressID {
			return e.EmailAddress
		}
	}
	return ""
}

// PrimaryPhone returns the user's primary phone number in E.164 form, found
// through PrimaryPhoneNumberID, or "" when the user has none.
func (u *User) PrimaryPhone() string {
	if u.PrimaryPhoneNumberID == nil {
		return ""
	}
	for _, p := range u.PhoneNumbers {
		if p.ID == *u.PrimaryPhoneNumberID {
			return p.PhoneNumber
		}
	}
	return ""
}

// FullName returns the first and last name joined by a space, leaving out
// whichever is missing, or "" when the user has neither.
func (u *User) FullName() string {
	first, last := deref(u.FirstName), deref(u.LastName)
	switch {
	case first == "":
		return last
	case last == "":
		return first
	default:
		return first + " " + last
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// EmailAddress is one entry of a user's email_addresses.
type EmailAddress struct {
	ID                   string               `json:"id"`
	Object               string               `json:"object"`
	EmailAddress         string               `json:"email_address"`
	Reserved             bool                 `json:"reserved"`
	Verification         *Verification        `json:"verification"`
	LinkedTo             []IdentificationLink `json:"linked_to"`
	MatchesSSOConnection bool                 `json:"matches_sso_connection,omitempty"`
	CreatedAt            UnixMilli            `json:"created_at,omitempty"`
	UpdatedAt            UnixMilli            `json:"updated_at,omitempty"`
}

// PhoneNumber is one entry of a user's phone_numbers.
type PhoneNumber struct {
	ID                      string               `json:"id"`
	Object                  string               `json:"object"`
	PhoneNumber             string               `json:"phone_number"`
	ReservedForSecondFactor bool                 `json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool                 `json:"default_second_factor"`
	Reserved                bool                 `json:"reserved"`
	Verification            *Verification        `json:"verification"`
	LinkedTo                []IdentificationLink `json:"linked_to"`
	BackupCodes             []string             `json:"backup_codes"`
	CreatedAt               UnixMilli            `json:"created_at"`
	UpdatedAt               UnixMilli            `json:"updated_at"`
}

// IdentificationLink links an email or phone to the identification of an
// external account.
type IdentificationLink struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// DeletedObject is the data of the deletion events of users, organizations,
// organization domains, roles and permissions. It names what was deleted and
// nothing more: a deleted user's payload carries no email or name.
type DeletedObject struct {
	// Object is the kind of resource deleted, such as "user".
	Object string `json:"object"`
	ID     string `json:"id"`
	// Slug is set on organization.deleted.
	Slug    *string `json:"slug,omitempty"`
	Deleted bool    `json:"deleted"`
	// ExternalID is set on user.deleted when the user had one.
	ExternalID *string `json:"external_id,omitempty"`
}

// Organization is a Clerk organization, as organization.created and
// organization.updated carry it and as memberships embed it.
type Organization struct {
	ID                                   string          `json:"id"`
	Object                               string          `json:"object"`
	Name                                 string          `json:"name"`
	Slug                                 *string         `json:"slug"`
	ImageURL                             *string         `json:"image_url,omitempty"`
	HasImage                             bool            `json:"has_image"`
	MembersCount                         *int            `json:"members_count,omitempty"`
	PendingInvitationsCount              *int            `json:"pending_invitations_count,omitempty"`
	MissingMemberWithElevatedPermissions bool            `json:"missing_member_with_elevated_permissions,omitempty"`
	MaxAllowedMemberships                int             `json:"max_allowed_memberships"`
	AdminDeleteEnabled                   bool            `json:"admin_delete_enabled"`
	PublicMetadata                       json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata                      json.RawMessage `json:"private_metadata,omitempty"`
	CreatedBy                            *string         `json:"created_by,omitempty"`
	RoleSetKey                           *string         `json:"role_set_key,omitempty"`
	LastActiveAt                         *UnixMilli      `json:"last_active_at,omitempty"`
	CreatedAt                            UnixMilli       `json:"created_at"`
	// UpdatedAt orders the versions of an organization: stores keep the
	// newest.
	UpdatedAt UnixMilli `json:"updated_at"`
}

// OrganizationMembership is a user's membership of an organization. Stores
// key it by organization and user: Clerk gives a user who leaves and joins
// again a new membership id.
type OrganizationMembership struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	Role            string          `json:"role"`
	RoleName        string          `json:"role_name,omitempty"`
	Permissions     []string        `json:"permissions"`
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"private_metadata,omitempty"`
	Organization    Organization    `json:"organization"`
	PublicUserData  PublicUserData  `json:"public_user_data"`
	CreatedAt       UnixMilli       `json:"created_at"`
	// UpdatedAt orders the versions of a membership: stores keep the newest.
	UpdatedAt UnixMilli `json:"updated_at"`
}

// OrganizationID returns the id of the membership's organization.
func (m *OrganizationMembership) OrganizationID() string { return m.Organization.ID }

// UserID returns the id of the member.
func (m *OrganizationMembership) UserID() string { return m.PublicUserData.UserID }

// PublicUserData is the public part of a member's profile that a membership
// embeds.
type PublicUserData struct {
	UserID          string  `json:"user_id"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	ImageURL        string  `json:"image_url"`
	HasImage        bool    `json:"has_image"`
	Identifier      *string `json:"identifier"`
	ProfileImageURL *string `json:"profile_image_url,omitempty"`
	Username        *string `json:"username,omitempty"`
	Banned          bool    `json:"banned,omitempty"`
	Deprovisioned   bool    `json:"deprovisioned,omitempty"`
}

// TODO(events helper): replace these placeholders with the real types.
type Verification struct{}
type Web3Wallet struct{}
type Passkey struct{}
type ExternalAccount struct{}
type SAMLAccount struct{}
type EnterpriseAccount struct{}
