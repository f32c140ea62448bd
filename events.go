package clerkhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"time"
)

// ErrInvalidEvent is matched by the errors [ParseEvent] and the typed
// accessors of [Event] return for a payload that is not a well-formed Clerk
// event: not a JSON object, no type, no data object, or data whose id or
// updated_at (for a membership, also its organization's or user's id) does
// not fit its field, or with more than 32 values that do not fit theirs.
var ErrInvalidEvent = errors.New("clerkhook: invalid event")

// ErrWrongShape is matched by the error a typed accessor of [Event] returns
// when the event's type carries another shape of data, for example
// [Event.User] on an organization.created event.
var ErrWrongShape = errors.New("clerkhook: event data has another shape")

// Event is one Clerk webhook delivery: the envelope of the body, plus the
// delivery id from the svix-id header. Data stays raw until one of the typed
// accessors, named after the shape, decodes it.
//
// The accessors are tolerant, as Clerk's payloads drift from its
// documentation: a value that does not fit its field, such as a boolean
// sent as "true", leaves the field at its zero value, and Data keeps it.
// They do not say which values; a [Handler] reports them in its log line
// and in [Observation.Anomalies]. Only an id or updated_at that does not
// fit (for a membership, also its organization's or user's id) makes them
// fail, with [ErrInvalidEvent].
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
	// Data is the resource the event is about, undecoded. It also holds
	// what the typed shapes leave out, such as the provider-specific keys
	// of external accounts.
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

// Time returns when the event happened, or the zero Time for an envelope
// without a timestamp. Clerk sends milliseconds; the example events of
// Clerk's documentation carry seconds, so a value too small to be a date in
// milliseconds is read as seconds.
func (e *Event) Time() time.Time {
	const firstMilliDate = 1e12 // 2001-09-09 in milliseconds, 33658 AD in seconds
	switch {
	case e.Timestamp == 0:
		return time.Time{}
	case e.Timestamp > 0 && e.Timestamp < firstMilliDate:
		return time.Unix(e.Timestamp, 0)
	default:
		return time.UnixMilli(e.Timestamp)
	}
}

// Known reports whether the event's type is one of [EventTypes]. An event
// of an unknown type still parses, and its Data is kept raw.
func (e *Event) Known() bool {
	_, ok := eventShapes[e.Type]
	return ok
}

// The event types Clerk sends, as listed in Clerk's OpenAPI description of
// its webhooks (version 2025-04-15, as revised up to late 2026), plus
// subscriptionItem.created, which the description dropped in August 2026.
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

	// EventSubscriptionItemCreated is legacy: Clerk's description of its
	// webhooks listed it from September 2025 to August 2026, and Clerk's
	// JavaScript types still do. It stays in the catalog so that such
	// deliveries, and replays of them, still decode.
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
func (e *Event) User() (*User, error) { return decodeFast(e, shapeUser, (*scanner).user) }

// DeletedObject returns the data of user.deleted, organization.deleted,
// organizationDomain.deleted, role.deleted and permission.deleted events.
func (e *Event) DeletedObject() (*DeletedObject, error) {
	return decodeData[DeletedObject](e, shapeDeletedObject)
}

// Session returns the data of a session.* event.
func (e *Event) Session() (*Session, error) { return decodeData[Session](e, shapeSession) }

// Email returns the data of an email.created event.
func (e *Event) Email() (*Email, error) { return decodeData[Email](e, shapeEmail) }

// SMSMessage returns the data of an sms.created event.
func (e *Event) SMSMessage() (*SMSMessage, error) {
	return decodeData[SMSMessage](e, shapeSMSMessage)
}

// Organization returns the data of an organization.created or
// organization.updated event.
func (e *Event) Organization() (*Organization, error) {
	return decodeFast(e, shapeOrganization, (*scanner).organization)
}

// OrganizationDomain returns the data of an organizationDomain.created or
// organizationDomain.updated event.
func (e *Event) OrganizationDomain() (*OrganizationDomain, error) {
	return decodeData[OrganizationDomain](e, shapeOrganizationDomain)
}

// OrganizationMembership returns the data of an organizationMembership.*
// event; organizationMembership.deleted carries the whole membership too.
func (e *Event) OrganizationMembership() (*OrganizationMembership, error) {
	return decodeFast(e, shapeOrganizationMembership, (*scanner).organizationMembership)
}

// OrganizationInvitation returns the data of an organizationInvitation.*
// event; organizationInvitation.revoked carries the whole invitation too.
func (e *Event) OrganizationInvitation() (*OrganizationInvitation, error) {
	return decodeData[OrganizationInvitation](e, shapeOrganizationInvitation)
}

// Role returns the data of a role.created or role.updated event.
func (e *Event) Role() (*Role, error) { return decodeData[Role](e, shapeRole) }

// Permission returns the data of a permission.created or permission.updated
// event.
func (e *Event) Permission() (*Permission, error) {
	return decodeData[Permission](e, shapePermission)
}

// WaitlistEntry returns the data of a waitlistEntry.* event.
func (e *Event) WaitlistEntry() (*WaitlistEntry, error) {
	return decodeData[WaitlistEntry](e, shapeWaitlistEntry)
}

// Subscription returns the data of a subscription.* event.
func (e *Event) Subscription() (*Subscription, error) {
	return decodeData[Subscription](e, shapeSubscription)
}

// SubscriptionItem returns the data of a subscriptionItem.* event.
func (e *Event) SubscriptionItem() (*SubscriptionItem, error) {
	return decodeData[SubscriptionItem](e, shapeSubscriptionItem)
}

// PaymentAttempt returns the data of a paymentAttempt.* event.
func (e *Event) PaymentAttempt() (*PaymentAttempt, error) {
	return decodeData[PaymentAttempt](e, shapePaymentAttempt)
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

// The shapes follow, in the order of the catalog. Fields that Clerk may send
// as null are pointers; metadata and other free-form objects stay
// json.RawMessage, which holds the JSON null when Clerk sends null. Unknown
// keys are ignored, as Clerk keeps adding fields.

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
	// RequiresPasswordReset is true when the user must set a new password
	// before signing in with one again.
	RequiresPasswordReset bool `json:"requires_password_reset,omitempty"`

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

	// Birthday and Gender are legacy: only the sample payloads of Clerk's
	// older documentation carry them, always "".
	Birthday string `json:"birthday,omitempty"`
	Gender   string `json:"gender,omitempty"`

	// Raw is the user's JSON object as Clerk sent it, every key included
	// (those the struct does not model too), after the text substitution
	// described at [UserStore]. The decoders ([Event.User], the [Handler],
	// [Backfill]) set it to a copy of the bytes they decoded, never to
	// memory they reuse; stores that keep a record's data write Raw as it
	// is when it is not empty, and their readers return it. Encoding the
	// struct does not write it. It is nil on records nested in another and
	// on records built in Go. A program that changes a decoded record
	// before storing it should set Raw to nil, or the store keeps what
	// Clerk sent.
	Raw json.RawMessage `json:"-"`
}

// SCIM describes the directory (an identity provider speaking SCIM) that
// provisioned a user. Clerk sends it on user.created and user.updated.
type SCIM struct {
	DirectoryID string `json:"directory_id"`
	// DirectoryEnabled tells whether the directory is enabled on the
	// instance; Clerk leaves it out when false.
	DirectoryEnabled bool `json:"directory_enabled,omitempty"`
	// ExternalID is the user's id in the directory, not [User.ExternalID].
	ExternalID *string `json:"external_id"`
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

// Verification is the verification of an email address, phone number, web3
// wallet, passkey or account. Clerk sends one of several kinds, told apart
// by Object (verification_otp, verification_oauth, verification_web3, and
// so on; older payloads lack it); Verification holds the union of their
// fields, and those a kind does not have stay nil.
type Verification struct {
	Object string `json:"object,omitempty"`
	// Status is unverified, verified, failed, expired or transferable.
	Status string `json:"status"`
	// Strategy is how the identifier was verified, such as email_code,
	// phone_code, admin, oauth_google or from_oauth_google, ticket, saml,
	// email_link, scim, google_one_tap, web3_metamask_signature or passkey.
	// Clerk adds strategies without notice.
	Strategy string     `json:"strategy"`
	Attempts *int       `json:"attempts"`
	ExpireAt *UnixMilli `json:"expire_at"`
	// VerifiedAtClient is the id of the client that completed the
	// verification.
	VerifiedAtClient *string `json:"verified_at_client,omitempty"`
	// Channel is how a phone code was delivered, such as "sms".
	Channel *string `json:"channel,omitempty"`
	// Error is why an OAuth, SAML or Google One Tap verification failed.
	Error *VerificationError `json:"error,omitempty"`
	// ExternalVerificationRedirectURL is where an OAuth or SAML verification
	// sends the user to complete it.
	ExternalVerificationRedirectURL *string `json:"external_verification_redirect_url,omitempty"`
	// Nonce and Message are the challenge of a web3 or passkey
	// verification.
	Nonce   *string `json:"nonce,omitempty"`
	Message *string `json:"message,omitempty"`
}

// VerificationError is the error of a failed [Verification], in the form of
// Clerk's API errors.
type VerificationError struct {
	Code        string          `json:"code"`
	Message     string          `json:"message"`
	LongMessage string          `json:"long_message"`
	Meta        json.RawMessage `json:"meta,omitempty"`
}

// Web3Wallet is one entry of a user's web3_wallets.
type Web3Wallet struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Web3Wallet is the wallet's address.
	Web3Wallet   string        `json:"web3_wallet"`
	Verification *Verification `json:"verification"`
	CreatedAt    UnixMilli     `json:"created_at"`
	UpdatedAt    UnixMilli     `json:"updated_at"`
}

// Passkey is one entry of a user's passkeys.
type Passkey struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Name is the label the user gave the passkey.
	Name         string        `json:"name"`
	LastUsedAt   UnixMilli     `json:"last_used_at"`
	Verification *Verification `json:"verification"`
}

// ExternalAccount is one entry of a user's external_accounts: an account
// of an OAuth provider the user signs in with.
//
// Google accounts of the older google_account shape (deliveries of 2023 and
// 2024, and the users created then, as the Backend API still returns them)
// may carry the provider's data only under Google's own keys: google_id,
// given_name, family_name and picture. Both decoders fill ProviderUserID,
// FirstName, LastName and ImageURL from those keys when the newer keys are
// absent or empty, so the typed fields mean the same for either shape;
// other keys that providers add are not typed.
type ExternalAccount struct {
	// ID is the external account id (eac_…), except in the google_account
	// and facebook_account objects, where it is an identification id
	// (idn_…); newer Google accounts have eac_… ids.
	ID string `json:"id"`
	// Object is external_account, google_account or facebook_account.
	Object string `json:"object"`
	// ExternalAccountID is the eac_… id, the one the Backend API deletes
	// the account by, of an account whose ID is an identification id; it
	// is empty when ID is that id, and when the payload lacks it.
	ExternalAccountID string `json:"external_account_id,omitempty"`
	// Provider names the provider, such as "oauth_google"; treat it as
	// opaque, as older payloads say "google".
	Provider         string `json:"provider"`
	IdentificationID string `json:"identification_id"`
	// ProviderUserID is the user's id at the provider.
	ProviderUserID string `json:"provider_user_id"`
	// ApprovedScopes is the space-separated list of the OAuth scopes the
	// user granted.
	ApprovedScopes string `json:"approved_scopes"`
	EmailAddress   string `json:"email_address"`
	// EmailAddressVerified tells whether the provider vouched for
	// EmailAddress when the account was linked; nil means unknown.
	EmailAddressVerified *bool `json:"email_address_verified,omitempty"`
	// FirstName and LastName are as the provider has them, possibly "".
	FirstName string  `json:"first_name"`
	LastName  string  `json:"last_name"`
	ImageURL  *string `json:"image_url,omitempty"`
	// AvatarURL is deprecated by Clerk in favour of ImageURL.
	AvatarURL      string          `json:"avatar_url,omitempty"`
	Username       *string         `json:"username"`
	PhoneNumber    *string         `json:"phone_number,omitempty"`
	Label          *string         `json:"label"`
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"`
	Verification   *Verification   `json:"verification"`
	CreatedAt      UnixMilli       `json:"created_at"`
	UpdatedAt      UnixMilli       `json:"updated_at"`
}

// SAMLAccount is one entry of a user's saml_accounts. Clerk is replacing
// SAML accounts with enterprise accounts; see [EnterpriseAccount].
type SAMLAccount struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Provider string `json:"provider"`
	// Active is false for an account whose connection was deactivated.
	Active              bool            `json:"active"`
	EmailAddress        string          `json:"email_address"`
	FirstName           *string         `json:"first_name"`
	LastName            *string         `json:"last_name"`
	ProviderUserID      *string         `json:"provider_user_id"`
	LastAuthenticatedAt *UnixMilli      `json:"last_authenticated_at"`
	PublicMetadata      json.RawMessage `json:"public_metadata,omitempty"`
	Verification        *Verification   `json:"verification"`
	SAMLConnection      *SAMLConnection `json:"saml_connection"`
}

// SAMLConnection is the identity provider connection of a [SAMLAccount].
type SAMLConnection struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
	// Domain is deprecated by Clerk in favour of Domains.
	Domain                           string    `json:"domain,omitempty"`
	Domains                          []string  `json:"domains,omitempty"`
	Active                           bool      `json:"active"`
	SyncUserAttributes               bool      `json:"sync_user_attributes"`
	AllowSubdomains                  bool      `json:"allow_subdomains"`
	AllowIdPInitiated                bool      `json:"allow_idp_initiated"`
	DisableAdditionalIdentifications bool      `json:"disable_additional_identifications"`
	CreatedAt                        UnixMilli `json:"created_at"`
	UpdatedAt                        UnixMilli `json:"updated_at"`
}

// EnterpriseAccount is one entry of a user's enterprise_accounts: an
// account of an enterprise connection, over SAML or OAuth.
type EnterpriseAccount struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Protocol is "saml" or "oauth".
	Protocol string `json:"protocol"`
	// Provider names the identity provider, such as "saml_okta".
	Provider               string                `json:"provider"`
	Active                 bool                  `json:"active"`
	EmailAddress           string                `json:"email_address"`
	FirstName              *string               `json:"first_name"`
	LastName               *string               `json:"last_name"`
	ProviderUserID         *string               `json:"provider_user_id"`
	EnterpriseConnectionID *string               `json:"enterprise_connection_id"`
	PublicMetadata         json.RawMessage       `json:"public_metadata,omitempty"`
	Verification           *Verification         `json:"verification"`
	EnterpriseConnection   *EnterpriseConnection `json:"enterprise_connection"`
	LastAuthenticatedAt    *UnixMilli            `json:"last_authenticated_at"`
}

// EnterpriseConnection is the connection of an [EnterpriseAccount].
type EnterpriseConnection struct {
	ID            string  `json:"id"`
	Protocol      string  `json:"protocol"`
	Provider      string  `json:"provider"`
	Name          string  `json:"name"`
	LogoPublicURL *string `json:"logo_public_url"`
	// Domain is deprecated by Clerk in favour of Domains.
	Domain                           string    `json:"domain,omitempty"`
	Domains                          []string  `json:"domains,omitempty"`
	Active                           bool      `json:"active"`
	SyncUserAttributes               bool      `json:"sync_user_attributes"`
	AllowSubdomains                  bool      `json:"allow_subdomains"`
	AllowIdPInitiated                bool      `json:"allow_idp_initiated"`
	DisableAdditionalIdentifications bool      `json:"disable_additional_identifications"`
	CreatedAt                        UnixMilli `json:"created_at"`
	UpdatedAt                        UnixMilli `json:"updated_at"`
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

// Session is a user's session, as the session.* events carry it.
type Session struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	UserID   string `json:"user_id"`
	ClientID string `json:"client_id"`
	// Status is active, pending, ended, removed, revoked, expired,
	// abandoned or replaced.
	Status string `json:"status"`
	// Actor is the JSON object, such as {"sub":"user_…"}, of the actor
	// token that created the session to impersonate the user; it is the
	// JSON null otherwise. See [Session.Impersonated].
	Actor                    json.RawMessage  `json:"actor"`
	LastActiveOrganizationID *string          `json:"last_active_organization_id,omitempty"`
	LatestActivity           *SessionActivity `json:"latest_activity,omitempty"`
	LastActiveAt             UnixMilli        `json:"last_active_at"`
	ExpireAt                 UnixMilli        `json:"expire_at"`
	AbandonAt                UnixMilli        `json:"abandon_at"`
	CreatedAt                UnixMilli        `json:"created_at"`
	UpdatedAt                UnixMilli        `json:"updated_at"`
	// User is the session's user, in full. Deliveries before November 2025
	// do not carry it, and Clerk may send null.
	User *User `json:"user"`
}

// Impersonated reports whether the session was created with an actor
// token, by someone acting as the user.
func (s *Session) Impersonated() bool { return !isNull(s.Actor) }

// SessionActivity describes the device and place of a session's latest
// activity. Clerk leaves out what it does not know.
type SessionActivity struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	IsMobile       bool   `json:"is_mobile"`
	DeviceType     string `json:"device_type,omitempty"`
	BrowserName    string `json:"browser_name,omitempty"`
	BrowserVersion string `json:"browser_version,omitempty"`
	IPAddress      string `json:"ip_address,omitempty"`
	City           string `json:"city,omitempty"`
	Country        string `json:"country,omitempty"`
}

// Email is an email message Clerk has created, as email.created carries it.
// When Clerk's delivery of the template is turned off (DeliveredByClerk is
// false), sending it is up to the receiver of the event.
type Email struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Slug names the template, such as "verification_code".
	Slug             *string `json:"slug"`
	FromEmailName    string  `json:"from_email_name"`
	ReplyToEmailName *string `json:"reply_to_email_name,omitempty"`
	ToEmailAddress   string  `json:"to_email_address,omitempty"`
	EmailAddressID   *string `json:"email_address_id"`
	UserID           *string `json:"user_id"`
	Subject          string  `json:"subject"`
	// Body is the whole message in HTML.
	Body      string  `json:"body"`
	BodyPlain *string `json:"body_plain"`
	// Status is the delivery status, such as "queued".
	Status string `json:"status"`
	// Data holds the template's variables, such as otp_code; they differ
	// from template to template.
	Data             json.RawMessage `json:"data"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
}

// SMSMessage is a text message Clerk has created, as sms.created carries
// it. When Clerk's delivery of the template is turned off (DeliveredByClerk
// is false), sending it is up to the receiver of the event.
type SMSMessage struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Slug names the template, such as "verification_code".
	Slug            *string `json:"slug"`
	FromPhoneNumber string  `json:"from_phone_number"`
	ToPhoneNumber   string  `json:"to_phone_number"`
	PhoneNumberID   *string `json:"phone_number_id"`
	UserID          *string `json:"user_id"`
	Message         string  `json:"message"`
	// Status is the delivery status, such as "queued".
	Status string `json:"status"`
	// Data holds the template's variables.
	Data             json.RawMessage `json:"data"`
	DeliveredByClerk bool            `json:"delivered_by_clerk"`
	// CreatedAt is read from created_at or, failing that, from
	// created_at_ms: Clerk's description of the event names the key one
	// way and its example the other.
	CreatedAt UnixMilli `json:"created_at"`
}

// UnmarshalJSON decodes m from either form of its creation time.
func (m *SMSMessage) UnmarshalJSON(data []byte) error {
	type plain SMSMessage // without this method, so decoding does not recurse
	aux := struct {
		*plain
		CreatedAtMS *UnixMilli `json:"created_at_ms"`
	}{plain: (*plain)(m)}
	if err := unmarshal(data, &aux); err != nil {
		return err
	}
	if m.CreatedAt == 0 && aux.CreatedAtMS != nil {
		m.CreatedAt = *aux.CreatedAtMS
	}
	return nil
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

	// Raw is the organization's JSON object as Clerk sent it, as
	// [User.Raw] is the user's; it is nil on the organization a
	// membership embeds.
	Raw json.RawMessage `json:"-"`
}

// OrganizationDomain is a domain an organization claims, so that users
// with an address there can be invited or join, as the
// organizationDomain.created and organizationDomain.updated events carry
// it.
type OrganizationDomain struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	OrganizationID string `json:"organization_id"`
	// Name is the domain, such as "example.com".
	Name string `json:"name"`
	// EnrollmentMode is manual_invitation, automatic_invitation,
	// automatic_suggestion or enterprise_sso.
	EnrollmentMode          string  `json:"enrollment_mode"`
	AffiliationEmailAddress *string `json:"affiliation_email_address"`
	// AffiliationVerification is the proof, through an address at the
	// domain, that the organization is affiliated with it.
	AffiliationVerification *DomainVerification `json:"affiliation_verification,omitempty"`
	// OwnershipVerification is the DNS proof that the organization owns
	// the domain; nil until one was attempted.
	OwnershipVerification *DomainVerification `json:"ownership_verification,omitempty"`
	// Verification is deprecated by Clerk: it is the older name of
	// AffiliationVerification.
	Verification            *DomainVerification     `json:"verification"`
	TotalPendingInvitations int                     `json:"total_pending_invitations"`
	TotalPendingSuggestions int                     `json:"total_pending_suggestions"`
	PublicOrganizationData  *PublicOrganizationData `json:"public_organization_data,omitempty"`
	CreatedAt               UnixMilli               `json:"created_at"`
	UpdatedAt               UnixMilli               `json:"updated_at"`
}

// DomainVerification is a verification of an [OrganizationDomain].
type DomainVerification struct {
	// Status is unverified, verified, failed or expired.
	Status   string     `json:"status"`
	Strategy string     `json:"strategy"`
	Attempts *int       `json:"attempts"`
	ExpireAt *UnixMilli `json:"expire_at"`
	// VerifiedAt is only set on an ownership verification.
	VerifiedAt *UnixMilli `json:"verified_at,omitempty"`
}

// PublicOrganizationData is the public part of an organization that
// domains and invitations embed.
type PublicOrganizationData struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url,omitempty"`
	HasImage bool   `json:"has_image"`
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

	// Raw is the membership's JSON object as Clerk sent it, as
	// [User.Raw] is the user's; it is nil on the memberships a user
	// embeds.
	Raw json.RawMessage `json:"-"`
}

// OrganizationID returns the id of the membership's organization.
func (m *OrganizationMembership) OrganizationID() string { return m.Organization.ID }

// UserID returns the id of the member.
func (m *OrganizationMembership) UserID() string { return m.PublicUserData.UserID }

// PublicUserData is the public part of a user's profile that a membership
// embeds for the member and an invitation for the inviter.
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

// OrganizationInvitation is an invitation to join an organization, as the
// organizationInvitation.* events carry it.
type OrganizationInvitation struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	EmailAddress   string `json:"email_address"`
	Role           string `json:"role"`
	RoleName       string `json:"role_name"`
	OrganizationID string `json:"organization_id"`
	// Status is pending, accepted, revoked or expired.
	Status string `json:"status,omitempty"`
	// InviterID is the id of the user who sent the invitation; nil for an
	// invitation made through the Backend API.
	InviterID         *string         `json:"inviter_id"`
	PublicInviterData *PublicUserData `json:"public_inviter_data,omitempty"`
	// PublicOrganizationData is read from public_organization_data, or
	// from data.public_organization_data where Clerk's description of the
	// events puts it.
	PublicOrganizationData *PublicOrganizationData `json:"public_organization_data,omitempty"`
	PublicMetadata         json.RawMessage         `json:"public_metadata,omitempty"`
	PrivateMetadata        json.RawMessage         `json:"private_metadata,omitempty"`
	// URL is the link the invitation sends the invitee to.
	URL       *string    `json:"url"`
	ExpiresAt *UnixMilli `json:"expires_at"`
	CreatedAt UnixMilli  `json:"created_at"`
	UpdatedAt UnixMilli  `json:"updated_at"`
	// UserID is set on organizationInvitation.accepted: the id of the user
	// who accepted, and is now a member.
	UserID string `json:"user_id,omitempty"`
}

// UnmarshalJSON decodes inv from either place of its organization data.
func (inv *OrganizationInvitation) UnmarshalJSON(data []byte) error {
	type plain OrganizationInvitation // without this method, so decoding does not recurse
	aux := struct {
		*plain
		Data *struct {
			PublicOrganizationData *PublicOrganizationData `json:"public_organization_data"`
		} `json:"data"`
	}{plain: (*plain)(inv)}
	if err := unmarshal(data, &aux); err != nil {
		return err
	}
	if inv.PublicOrganizationData == nil && aux.Data != nil {
		inv.PublicOrganizationData = aux.Data.PublicOrganizationData
	}
	return nil
}

// Role is a role of the organizations of an instance, as role.created and
// role.updated carry it.
type Role struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Name   string `json:"name"`
	// Key is what memberships name the role by, such as "org:admin".
	Key         string  `json:"key"`
	Description *string `json:"description"`
	// IsCreatorEligible tells whether the role can be given to the creator
	// of an organization.
	IsCreatorEligible bool         `json:"is_creator_eligible"`
	Permissions       []Permission `json:"permissions"`
	CreatedAt         UnixMilli    `json:"created_at"`
	UpdatedAt         UnixMilli    `json:"updated_at"`
}

// Permission is a permission that organization roles grant, as
// permission.created and permission.updated carry it and roles embed it.
type Permission struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Name   string `json:"name"`
	// Key is what memberships list the permission by, such as
	// "org:posts:create".
	Key         string `json:"key"`
	Description string `json:"description"`
	// Type is "system" for Clerk's own permissions, "custom" for others.
	Type      string    `json:"type,omitempty"`
	CreatedAt UnixMilli `json:"created_at"`
	UpdatedAt UnixMilli `json:"updated_at"`
}

// WaitlistEntry is an address on the waitlist of an instance, as the
// waitlistEntry.* events carry it.
type WaitlistEntry struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// EmailAddress is the address that joined the waitlist.
	EmailAddress string `json:"email_address"`
	// Status is pending, invited, rejected or completed.
	Status string `json:"status"`
	// IsLocked is true while a batch action processes the entry.
	IsLocked bool `json:"is_locked"`
	// Invitation is set once the entry has been invited.
	Invitation *Invitation `json:"invitation"`
	CreatedAt  UnixMilli   `json:"created_at"`
	UpdatedAt  UnixMilli   `json:"updated_at"`
}

// Invitation is an invitation to sign up to an application, as a
// [WaitlistEntry] carries it.
type Invitation struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"`
	Revoked        bool            `json:"revoked,omitempty"`
	// Status is pending, accepted, revoked or expired.
	Status    string     `json:"status"`
	URL       string     `json:"url,omitempty"`
	ExpiresAt *UnixMilli `json:"expires_at,omitempty"`
	CreatedAt UnixMilli  `json:"created_at"`
	UpdatedAt UnixMilli  `json:"updated_at"`
}

// Subscription is a payer's subscription to an application's plans, as the
// subscription.* events carry it. Clerk's billing is in beta and its
// payloads still change: the ids, statuses, times and amounts are typed,
// looser parts stay json.RawMessage.
type Subscription struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Status is active, past_due, canceled, ended, abandoned or incomplete.
	Status          string  `json:"status"`
	PayerID         string  `json:"payer_id"`
	Payer           *Payer  `json:"payer"`
	LatestPaymentID *string `json:"latest_payment_id"`
	PaymentSourceID *string `json:"payment_source_id"`
	// Items are the subscription's items, one for each span of time the
	// subscription spent on a plan in a given state.
	Items      []SubscriptionItem `json:"items"`
	ActiveAt   *UnixMilli         `json:"active_at"`
	CanceledAt *UnixMilli         `json:"canceled_at"`
	EndedAt    *UnixMilli         `json:"ended_at"`
	PastDueAt  *UnixMilli         `json:"past_due_at"`
	CreatedAt  UnixMilli          `json:"created_at"`
	UpdatedAt  UnixMilli          `json:"updated_at"`
}

// SubscriptionItem is a span of a [Subscription] on one plan, as the
// subscriptionItem.* events carry it and subscriptions and payment
// attempts embed it.
type SubscriptionItem struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Status is active, canceled, upcoming, ended, abandoned, incomplete,
	// past_due or expired.
	Status      string `json:"status"`
	IsFreeTrial bool   `json:"is_free_trial"`
	// Interval is how often the payer is charged: "month" or "annual".
	Interval string  `json:"interval,omitempty"`
	PlanID   *string `json:"plan_id"`
	Plan     *Plan   `json:"plan"`
	// Payer and SubscriptionID are set on the subscriptionItem.* events,
	// not on the items a subscription embeds.
	Payer          *Payer    `json:"payer,omitempty"`
	SubscriptionID *string   `json:"subscription_id,omitempty"`
	PeriodStart    UnixMilli `json:"period_start"`
	// PeriodEnd is nil for the items of a default (free) plan.
	PeriodEnd *UnixMilli `json:"period_end"`
	// Seats is the seat entitlement, {"quantity": n} or null for no
	// limit.
	Seats json.RawMessage `json:"seats,omitempty"`
	// Credit is deprecated by Clerk in favour of Credits.
	Credit json.RawMessage `json:"credit,omitempty"`
	// Credits is the breakdown of the proration and account credits
	// applied to the item.
	Credits   json.RawMessage `json:"credits,omitempty"`
	CreatedAt UnixMilli       `json:"created_at"`
	UpdatedAt UnixMilli       `json:"updated_at"`

	// The fields below are of the older shape of subscription items, which
	// the examples of Clerk's description of its webhooks still show.

	// Amount is the price of the item for its period.
	Amount *Money `json:"amount,omitempty"`
	// PlanPeriod is the older name of Interval: "month" or "annual".
	PlanPeriod string     `json:"plan_period,omitempty"`
	CanceledAt *UnixMilli `json:"canceled_at,omitempty"`
	PastDueAt  *UnixMilli `json:"past_due_at,omitempty"`
	// LifetimePaid is what the payer has paid for the item so far, in the
	// smallest unit of the plan's currency.
	LifetimePaid int64 `json:"lifetime_paid,omitempty"`
	// NextPaymentAmount, in the smallest unit of the plan's currency, is
	// due at NextPaymentDate.
	NextPaymentAmount int64      `json:"next_payment_amount,omitempty"`
	NextPaymentDate   *UnixMilli `json:"next_payment_date,omitempty"`
	// ProrationDate is a calendar date, such as "2024-05-01", not a time
	// in milliseconds.
	ProrationDate string `json:"proration_date,omitempty"`
}

// Plan is the plan of a [SubscriptionItem].
type Plan struct {
	ID          string `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	IsRecurring bool   `json:"is_recurring"`
	// Amount is the price for the item's interval, in the smallest unit of
	// Currency, such as cents.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// UnitPrices is the tiered pricing of plans priced per unit, such as
	// per seat.
	UnitPrices json.RawMessage `json:"unit_prices,omitempty"`

	// The fields below are of the older shape of plans, which the examples
	// of Clerk's description of its webhooks still show.

	InstanceID string `json:"instance_id,omitempty"`
	// ProductID is the id of the product the plan is a price of.
	ProductID   string `json:"product_id,omitempty"`
	Description string `json:"description,omitempty"`
	// IsDefault is true for the plan a payer has without subscribing,
	// usually the free one.
	IsDefault  bool `json:"is_default,omitempty"`
	IsProrated bool `json:"is_prorated,omitempty"`
	// Period is the unit of the billing cycle, such as "month", and
	// Interval the number of periods in one cycle; unlike
	// [SubscriptionItem.Interval], it is a number.
	Period   string `json:"period,omitempty"`
	Interval int    `json:"interval,omitempty"`
	// HasBaseFee tells whether the plan charges a fixed fee, Amount, beside
	// any per-unit prices.
	HasBaseFee bool `json:"has_base_fee,omitempty"`
	// AnnualMonthlyAmount is the monthly price when paid annually, in the
	// smallest unit of Currency.
	AnnualMonthlyAmount int64 `json:"annual_monthly_amount,omitempty"`
	// PubliclyVisible tells whether the plan is shown in the pricing
	// table.
	PubliclyVisible bool `json:"publicly_visible,omitempty"`
}

// Payer is who pays for a subscription: a user or an organization. The
// fields of the other kind are "".
type Payer struct {
	ID     string `json:"id"`
	Object string `json:"object,omitempty"`
	Email  string `json:"email"`
	// ImageURL is the user's avatar or the organization's logo.
	ImageURL         string    `json:"image_url"`
	UserID           string    `json:"user_id"`
	FirstName        string    `json:"first_name"`
	LastName         string    `json:"last_name"`
	OrganizationID   string    `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	CreatedAt        UnixMilli `json:"created_at,omitempty"`
	UpdatedAt        UnixMilli `json:"updated_at,omitempty"`
}

// PaymentAttempt is an attempt to charge a payer, as the paymentAttempt.*
// events carry it: created pending, then updated to paid or failed.
type PaymentAttempt struct {
	ID         string `json:"id"`
	InstanceID string `json:"instance_id"`
	PaymentID  string `json:"payment_id"`
	// InvoiceID is deprecated by Clerk in favour of StatementID.
	InvoiceID   string `json:"invoice_id,omitempty"`
	StatementID string `json:"statement_id"`
	// GatewayExternalID is the payment's id at the gateway, such as a
	// Stripe payment intent.
	GatewayExternalID string `json:"gateway_external_id"`
	// Status is pending, paid or failed.
	Status string `json:"status"`
	// ChargeType is "checkout" or "recurring".
	ChargeType        string               `json:"charge_type"`
	BillingDate       UnixMilli            `json:"billing_date"`
	PaidAt            *UnixMilli           `json:"paid_at"`
	FailedAt          *UnixMilli           `json:"failed_at"`
	FailedReason      *PaymentFailedReason `json:"failed_reason"`
	Payee             *Payee               `json:"payee"`
	Payer             *Payer               `json:"payer"`
	Totals            *PaymentTotals       `json:"totals"`
	PaymentSource     *PaymentSource       `json:"payment_source"`
	SubscriptionItems []SubscriptionItem   `json:"subscription_items"`
	CreatedAt         UnixMilli            `json:"created_at"`
	UpdatedAt         UnixMilli            `json:"updated_at"`
}

// PaymentFailedReason is why a [PaymentAttempt] failed.
type PaymentFailedReason struct {
	// Code is the kind of failure, such as "card_declined".
	Code string `json:"code"`
	// DeclineCode is the processor's reason, such as "insufficient_funds".
	DeclineCode string `json:"decline_code"`
}

// Payee is the account at the payment gateway a [PaymentAttempt] pays.
type Payee struct {
	ID                string `json:"id"`
	GatewayType       string `json:"gateway_type"`
	GatewayExternalID string `json:"gateway_external_id"`
	GatewayStatus     string `json:"gateway_status"`
}

// PaymentTotals are the amounts of a [PaymentAttempt].
type PaymentTotals struct {
	Subtotal   Money `json:"subtotal"`
	TaxTotal   Money `json:"tax_total"`
	GrandTotal Money `json:"grand_total"`
	// PerUnitTotals breaks down the charges of plans priced per unit.
	PerUnitTotals json.RawMessage `json:"per_unit_totals,omitempty"`
}

// Money is an amount of money.
type Money struct {
	// Amount is in the smallest unit of Currency, such as cents.
	Amount int64 `json:"amount"`
	// AmountFormatted is for display, such as "$10.99".
	AmountFormatted string `json:"amount_formatted"`
	// Currency is an ISO 4217 code, such as "USD".
	Currency       string `json:"currency"`
	CurrencySymbol string `json:"currency_symbol"`
}

// PaymentSource is the means of payment of a [PaymentAttempt].
type PaymentSource struct {
	ID                       string  `json:"id"`
	Gateway                  string  `json:"gateway"`
	GatewayExternalID        string  `json:"gateway_external_id"`
	GatewayExternalAccountID *string `json:"gateway_external_account_id"`
	// PaymentMethod is "card" or "link".
	PaymentMethod string `json:"payment_method"`
	// Status is "active" or "disconnected".
	Status string `json:"status"`
	// CardType and Last4 are set for cards, such as "visa" and "4242".
	CardType *string `json:"card_type"`
	Last4    *string `json:"last4"`
}
