package clerkhooktest

import "math/rand/v2"

// idChars is the alphabet of the random part of Clerk's and Svix's ids.
const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID returns prefix followed by 27 random characters, the form of
// Clerk's ids ("user_…", "org_…", "idn_…") and of Svix's message ids
// ("msg_…"). The ids need to be unique, not unpredictable.
func newID(prefix string) string {
	b := make([]byte, len(prefix)+27)
	copy(b, prefix)
	for i := len(prefix); i < len(b); i++ {
		b[i] = idChars[rand.IntN(len(idChars))]
	}
	return string(b)
}

// newDeliveryID returns a fresh Svix message id.
func newDeliveryID() string { return newID("msg_") }
