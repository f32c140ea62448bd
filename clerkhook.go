// Package clerkhook receives Clerk webhooks and keeps a Go service's own
// database in sync with the users, organizations and memberships Clerk holds.
//
// A [Handler] verifies each delivery's Standard Webhooks signature over the
// exact bytes received, decodes the typed event, and writes it through a
// [UserStore] with the guarantees a sync needs: an older update never
// replaces a newer one, a deleted user stays deleted, and a retried delivery
// is applied once. Mounting it takes a secret and a store:
//
//	store := clerkhook.NewMemoryStore()
//	h, err := clerkhook.NewHandler(os.Getenv("CLERK_WEBHOOK_SECRET"), store)
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("POST /webhooks/clerk", h)
//
// [Verifier] and [ParseEvent] are the lower layers, for programs that route
// requests themselves; [Middleware] puts the verified [Event] in the request
// context for handlers of one's own.
package clerkhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// DefaultTolerance is how far a delivery's svix-timestamp may lie from the
// verifier's clock, in either direction, before the delivery is refused.
const DefaultTolerance = 5 * time.Minute

// DefaultMaxBodyBytes is the largest request body a Handler reads.
const DefaultMaxBodyBytes = 1 << 20

// DefaultTimeout bounds the store writes and event handlers of one delivery.
// Svix gives up on an attempt after 15 seconds; answering before that lets a
// failure be reported as a failure rather than as a lost connection.
const DefaultTimeout = 10 * time.Second

// A HandlerOption configures a [Handler]. Every [VerifierOption] is one
// too; the options that only a Handler has, such as [WithLogger], are
// HandlerOptions only, so that passing one to [NewVerifier] does not
// compile.
type HandlerOption interface {
	applyHandler(*config) error
}

// A VerifierOption configures a [Verifier], or the Verifier of a
// [Handler]: [WithAdditionalSecrets], [WithTolerance] and [WithClock].
type VerifierOption struct {
	fn func(*config) error
}

func (o VerifierOption) applyHandler(c *config) error { return o.apply(c) }

func (o VerifierOption) apply(c *config) error {
	if o.fn == nil {
		return errors.New("clerkhook: zero VerifierOption")
	}
	return o.fn(c)
}

// handlerOnlyOption is a HandlerOption that is not a VerifierOption.
type handlerOnlyOption func(*config) error

func (o handlerOnlyOption) applyHandler(c *config) error { return o(c) }

// config holds every setting an option can change.
type config struct {
	additionalSecrets []string
	tolerance         time.Duration
	now               func() time.Time

	logger        *slog.Logger
	maxBodyBytes  int64
	timeout       time.Duration
	eventHandlers map[string][]eventHandler
	observers     []func(context.Context, Observation)
	dedup         Deduplicator
}

func defaultConfig() *config {
	return &config{
		tolerance:    DefaultTolerance,
		now:          time.Now,
		maxBodyBytes: DefaultMaxBodyBytes,
		timeout:      DefaultTimeout,
	}
}

func verifierOption(fn func(*config) error) VerifierOption { return VerifierOption{fn: fn} }

func handlerOption(fn func(*config) error) HandlerOption { return handlerOnlyOption(fn) }

// WithAdditionalSecrets adds signing secrets that are accepted beside the
// main one. During a rotation in the Clerk Dashboard, deliveries may be
// signed with the old secret, the new one or both; configure both until the
// old one has expired.
func WithAdditionalSecrets(secrets ...string) VerifierOption {
	return verifierOption(func(c *config) error {
		c.additionalSecrets = append(c.additionalSecrets, secrets...)
		return nil
	})
}

// WithTolerance sets how far the svix-timestamp header may lie from the
// clock, in the past or in the future. The default is [DefaultTolerance].
// A replayed request is only refused once it is older than the tolerance,
// so keep it short.
func WithTolerance(d time.Duration) VerifierOption {
	return verifierOption(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("clerkhook: WithTolerance(%v): tolerance must be positive", d)
		}
		c.tolerance = d
		return nil
	})
}

// WithClock sets the clock used to check timestamps and to date deliveries.
// It is meant for tests; the default is [time.Now].
func WithClock(now func() time.Time) VerifierOption {
	return verifierOption(func(c *config) error {
		if now == nil {
			return errors.New("clerkhook: WithClock(nil)")
		}
		c.now = now
		return nil
	})
}

// WithLogger sets the logger a Handler writes one line per delivery to. The
// default is [slog.Default]. Lines carry the delivery id, event type, object
// id, outcome, status, duration and the [SecretFingerprint] of the secret
// that verified the request; never the secret, the body, or any personal
// data.
func WithLogger(l *slog.Logger) HandlerOption {
	return handlerOption(func(c *config) error {
		if l == nil {
			return errors.New("clerkhook: WithLogger(nil)")
		}
		c.logger = l
		return nil
	})
}

// WithMaxBodyBytes sets the largest request body a Handler reads; a larger
// one is answered 413. The default is [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) HandlerOption {
	return handlerOption(func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("clerkhook: WithMaxBodyBytes(%d): limit must be positive", n)
		}
		c.maxBodyBytes = n
		return nil
	})
}

// WithTimeout sets the deadline for the store writes and event handlers of
// one delivery. The default is [DefaultTimeout].
func WithTimeout(d time.Duration) HandlerOption {
	return handlerOption(func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("clerkhook: WithTimeout(%v): timeout must be positive", d)
		}
		c.timeout = d
		return nil
	})
}

// WithEventHandler registers fn for events of the given type, one of
// [EventTypes] such as [EventUserCreated]; NewHandler refuses any other
// type, which is most likely a typo ([WithUnlistedEventHandler] takes a
// type newer than this package). It may be given several times, also for
// the same type; the functions run in the order given, after the store
// write of the delivery, and [WriteResultFromContext] tells them what
// became of it:
//
//   - [WriteApplied]: the store took the write; fn runs.
//   - [WriteSuperseded]: the store kept a newer version or a tombstone
//     (the delivery is older than what it holds, such as a user.created
//     retried after the user.deleted): fn does not run, and the delivery
//     is answered 200 with the outcome stale. Handlers that want these
//     events too, an audit log, register with [WithSupersededEventHandler].
//     A store that returns nil instead of [ErrStale] for a write it
//     refused makes it count as applied; the stores of this module return
//     ErrStale.
//   - [WriteNone]: the type has no store write (session.created, or
//     organization events for a store that keeps no organizations); fn
//     runs.
//
// A store write that fails runs no handler. When fn fails, the delivery is
// answered 500 and Svix retries it, handlers that succeeded included, so fn
// must be idempotent ([Event.ID] is the delivery's id). With a
// [Deduplicator] store a delivery whose handlers all succeeded is not run
// again, even when fn returns nil after [WithTimeout] (the response is then
// a 503, a retry while fn runs gets a 409, and one after it returned finds
// the delivery processed), unless fn outlives the store's claim timeout,
// which lets a retry take the delivery over.
func WithEventHandler(eventType string, fn EventHandlerFunc) HandlerOption {
	return handlerOption(func(c *config) error {
		if err := checkEventHandler("WithEventHandler", eventType, fn); err != nil {
			return err
		}
		if !(&Event{Type: eventType}).Known() {
			return fmt.Errorf("clerkhook: WithEventHandler(%q): not an event type Clerk sends (see EventTypes); for a type newer than this package, use WithUnlistedEventHandler", eventType)
		}
		c.addEventHandler(eventType, eventHandler{fn: fn})
		return nil
	})
}

// WithSupersededEventHandler registers fn as [WithEventHandler] does, and
// fn also runs for the deliveries whose write the store superseded, with
// [WriteSuperseded] in [WriteResultFromContext]: for an audit log or a
// metric of every event Clerk sent, in the order of registration among
// the type's other handlers.
func WithSupersededEventHandler(eventType string, fn EventHandlerFunc) HandlerOption {
	return handlerOption(func(c *config) error {
		if err := checkEventHandler("WithSupersededEventHandler", eventType, fn); err != nil {
			return err
		}
		if !(&Event{Type: eventType}).Known() {
			return fmt.Errorf("clerkhook: WithSupersededEventHandler(%q): not an event type Clerk sends (see EventTypes)", eventType)
		}
		c.addEventHandler(eventType, eventHandler{fn: fn, superseded: true})
		return nil
	})
}

// WithUnlistedEventHandler registers fn for an event type that is not one
// of [EventTypes]: a type Clerk added after this package was released. The
// Handler has no store write for it, so fn sees [WriteNone]. Prefer
// [WithEventHandler] for the listed types, which catches typos.
func WithUnlistedEventHandler(eventType string, fn EventHandlerFunc) HandlerOption {
	return handlerOption(func(c *config) error {
		if err := checkEventHandler("WithUnlistedEventHandler", eventType, fn); err != nil {
			return err
		}
		if (&Event{Type: eventType}).Known() {
			return fmt.Errorf("clerkhook: WithUnlistedEventHandler(%q): a listed event type; use WithEventHandler", eventType)
		}
		c.addEventHandler(eventType, eventHandler{fn: fn})
		return nil
	})
}

// checkEventHandler refuses a nil function or an empty event type given to
// the option named option.
func checkEventHandler(option, eventType string, fn EventHandlerFunc) error {
	if fn == nil {
		return fmt.Errorf("clerkhook: %s(%q, nil)", option, eventType)
	}
	if eventType == "" {
		return fmt.Errorf("clerkhook: %s with an empty event type", option)
	}
	return nil
}

func (c *config) addEventHandler(eventType string, eh eventHandler) {
	if c.eventHandlers == nil {
		c.eventHandlers = make(map[string][]eventHandler)
	}
	c.eventHandlers[eventType] = append(c.eventHandlers[eventType], eh)
}

// WithObserver registers fn to be told of every request the Handler
// answers, once the response is written: the delivery id, event type,
// outcome, status and duration, to feed metrics or traces without this
// package depending on a metrics library. It may be given several times.
// The Observation's Err may quote the store's errors; the rest holds
// nothing personal.
func WithObserver(fn func(ctx context.Context, o Observation)) HandlerOption {
	return handlerOption(func(c *config) error {
		if fn == nil {
			return errors.New("clerkhook: WithObserver(nil)")
		}
		c.observers = append(c.observers, fn)
		return nil
	})
}

// NewVerifier returns a Verifier for the given signing secret, as shown in
// the Clerk Dashboard ("whsec_" followed by base64). It accepts
// [WithAdditionalSecrets], [WithTolerance] and [WithClock]; it fails with an
// error matching [ErrInvalidSecret] when a secret cannot be used. The error
// never contains the secret.
func NewVerifier(secret string, opts ...VerifierOption) (*Verifier, error) {
	c := defaultConfig()
	for _, o := range opts {
		if err := o.apply(c); err != nil {
			return nil, err
		}
	}
	return newVerifier(secret, c)
}

// NewHandler returns the http.Handler that receives Clerk's deliveries and
// writes them to store. It fails when the secret is invalid (see
// [NewVerifier]), when store is nil, when an option is invalid, or when
// the claims of its ledger (the store, or the [Deduplicator] of
// [WithDeduplicator]) would lapse before an attempt has ended (see
// [ClaimTimeouter]).
func NewHandler(secret string, store UserStore, opts ...HandlerOption) (*Handler, error) {
	if store == nil {
		return nil, errors.New("clerkhook: NewHandler: nil UserStore")
	}
	c := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("clerkhook: nil HandlerOption")
		}
		if err := o.applyHandler(c); err != nil {
			return nil, err
		}
	}
	v, err := newVerifier(secret, c)
	if err != nil {
		return nil, err
	}
	ledger, _ := store.(Deduplicator)
	if c.dedup != nil {
		ledger = c.dedup
	}
	if err := checkClaimTimeout(ledger, c.timeout); err != nil {
		return nil, err
	}
	return newHandler(v, store, c), nil
}

// checkClaimTimeout refuses a ledger whose claims could lapse while an
// attempt still runs: its work for up to timeout, then its completion or
// release for up to timeout again.
func checkClaimTimeout(ledger Deduplicator, timeout time.Duration) error {
	ct, ok := ledger.(ClaimTimeouter)
	if !ok {
		return nil
	}
	if claim := ct.ClaimTimeout(); claim < 2*timeout {
		return fmt.Errorf("clerkhook: NewHandler: the delivery claims of the store (or of WithDeduplicator's ledger) last %v, less than twice WithTimeout (%v): a claim could lapse while its attempt runs and let a retry run the delivery again; shorten WithTimeout or lengthen the claim timeout", claim, timeout)
	}
	return nil
}
