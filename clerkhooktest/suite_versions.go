package clerkhooktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/clerkhook/clerkhook"
)

// recordFields are the fields of a record the suite compares. A store may
// keep only some fields; the suite compares those it returns, which are
// the non-empty ones.
type recordFields struct {
	// key names the record: its id, or the organization and user of a
	// membership. The first entry is the one the reader takes.
	key       []field
	updatedAt clerkhook.UnixMilli
	// identifying fields differ between any two versions of a record.
	identifying []field
}

type field struct{ name, value string }

// compare returns a description of how got differs from want in the
// fields got has, or "" when it does not. Having none of the identifying
// fields is a difference: the version cannot be told.
func compare(h *harness, got, want recordFields) string {
	var b strings.Builder
	for i, f := range got.key {
		if f.value != "" && f.value != want.key[i].value {
			fmt.Fprintf(&b, "\n\t%s = %q, want %q", f.name, f.value, want.key[i].value)
		}
	}
	if got.updatedAt != 0 && got.updatedAt != want.updatedAt {
		fmt.Fprintf(&b, "\n\tupdated_at = %s, want %s", h.offset(got.updatedAt), h.offset(want.updatedAt))
	}
	identified := false
	for i, f := range got.identifying {
		if f.value == "" {
			continue
		}
		identified = true
		if f.value != want.identifying[i].value {
			fmt.Fprintf(&b, "\n\t%s = %s, want %s", f.name, f.value, want.identifying[i].value)
		}
	}
	if !identified {
		names := make([]string, len(got.identifying))
		for i, f := range got.identifying {
			names[i] = f.name
		}
		fmt.Fprintf(&b, "\n\tnone of %s is set, so the version cannot be told; the store must return one of them", strings.Join(names, ", "))
	}
	return b.String()
}

// metadata returns raw in a canonical form, or "" when it is empty, null
// or {}, as from a store that does not keep it.
func metadata(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "(invalid JSON)"
	}
	if m, ok := v.(map[string]any); v == nil || ok && len(m) == 0 {
		return ""
	}
	// Maps encode with sorted keys, so equal objects encode alike.
	b, err := json.Marshal(v)
	if err != nil {
		return "(invalid JSON)"
	}
	return string(b)
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

func quotedPtr(s *string) string {
	if s == nil {
		return ""
	}
	return quoted(*s)
}

// versionMetadata is the metadata of version v of a record.
func versionMetadata(v int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"clerkhooktest_version":%d}`, v))
}

// idKey returns the random part of id in lower case, for names and
// addresses derived from it.
func idKey(id string) string {
	_, key, _ := strings.Cut(id, "_")
	return strings.ToLower(key)
}

func userVersion(id string, updatedAt clerkhook.UnixMilli, v int) *clerkhook.User {
	u := newUser(updatedAt + 20)
	key := idKey(id)
	u.ID = id
	u.FirstName = ptr(fmt.Sprintf("Ada-v%d", v))
	u.LastName = ptr(fmt.Sprintf("Example-v%d", v))
	u.Username = ptr(fmt.Sprintf("ada_%s_v%d", key, v))
	u.ExternalID = ptr(fmt.Sprintf("ext-%s-v%d", key, v))
	u.ImageURL = fmt.Sprintf("https://img.clerk.com/%s-v%d", key, v)
	u.EmailAddresses[0].EmailAddress = fmt.Sprintf("ada.v%d.%s@example.com", v, key)
	u.PublicMetadata = versionMetadata(v)
	u.PrivateMetadata = versionMetadata(v)
	u.UnsafeMetadata = versionMetadata(v)
	u.UpdatedAt = updatedAt
	return u
}

func userFields(u *clerkhook.User) recordFields {
	emails := make([]string, 0, len(u.EmailAddresses))
	for _, e := range u.EmailAddresses {
		emails = append(emails, fmt.Sprintf("%q", e.EmailAddress))
	}
	slices.Sort(emails)
	return recordFields{
		key:       []field{{"id", u.ID}},
		updatedAt: u.UpdatedAt,
		identifying: []field{
			{"first_name", quotedPtr(u.FirstName)},
			{"last_name", quotedPtr(u.LastName)},
			{"username", quotedPtr(u.Username)},
			{"external_id", quotedPtr(u.ExternalID)},
			{"image_url", quoted(u.ImageURL)},
			{"email_addresses", strings.Join(emails, " ")},
			{"public_metadata", metadata(u.PublicMetadata)},
			{"private_metadata", metadata(u.PrivateMetadata)},
			{"unsafe_metadata", metadata(u.UnsafeMetadata)},
		},
	}
}

func organizationVersion(id string, updatedAt clerkhook.UnixMilli, v int) *clerkhook.Organization {
	o := newOrganization(updatedAt + 40)
	key := idKey(id)
	o.ID = id
	o.Name = fmt.Sprintf("Northwind Labs v%d", v)
	o.Slug = ptr(fmt.Sprintf("northwind-%s-v%d", key, v))
	o.ImageURL = ptr(fmt.Sprintf("https://img.clerk.com/%s-v%d", key, v))
	o.PublicMetadata = versionMetadata(v)
	o.PrivateMetadata = versionMetadata(v)
	o.UpdatedAt = updatedAt
	return o
}

func organizationFields(o *clerkhook.Organization) recordFields {
	return recordFields{
		key:       []field{{"id", o.ID}},
		updatedAt: o.UpdatedAt,
		identifying: []field{
			{"name", quoted(o.Name)},
			{"slug", quotedPtr(o.Slug)},
			{"image_url", quotedPtr(o.ImageURL)},
			{"public_metadata", metadata(o.PublicMetadata)},
			{"private_metadata", metadata(o.PrivateMetadata)},
		},
	}
}

// membershipVersion returns version v of the membership id of userID in
// orgID.
func membershipVersion(orgID, userID, id string, updatedAt clerkhook.UnixMilli, v int) *clerkhook.OrganizationMembership {
	m := newMembership(updatedAt + 20)
	m.ID = id
	m.Organization.ID = orgID
	m.PublicUserData.UserID = userID
	m.Role = fmt.Sprintf("org:role_v%d", v)
	m.RoleName = fmt.Sprintf("Role v%d", v)
	m.Permissions = []string{fmt.Sprintf("org:feature_v%d:read", v)}
	m.PublicMetadata = versionMetadata(v)
	m.PrivateMetadata = versionMetadata(v)
	m.UpdatedAt = updatedAt
	return m
}

func membershipFields(m *clerkhook.OrganizationMembership) recordFields {
	perms := make([]string, len(m.Permissions))
	for i, p := range m.Permissions {
		perms[i] = fmt.Sprintf("%q", p)
	}
	slices.Sort(perms)
	return recordFields{
		key:       []field{{"organization.id", m.OrganizationID()}, {"public_user_data.user_id", m.UserID()}},
		updatedAt: m.UpdatedAt,
		identifying: []field{
			{"id", quoted(m.ID)},
			{"role", quoted(m.Role)},
			{"role_name", quoted(m.RoleName)},
			{"permissions", strings.Join(perms, " ")},
			{"public_metadata", metadata(m.PublicMetadata)},
			{"private_metadata", metadata(m.PrivateMetadata)},
		},
	}
}
