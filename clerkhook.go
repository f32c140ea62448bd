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

// An Option configures a [Verifier] or a [Handler]. Options that only make
// sense for a Handler are refused by [NewVerifier].
type Option interface {
	apply(*config) error
}

// config holds every setting an Option can change.
type config struct {
	additionalSecrets []string
	tolerance         time.Duration
	now               func() time.Time

	logger        *slog.Logger
	maxBodyBytes  int64
	timeout       time.Duration
	eventHandlers map[string][]EventHandlerFunc
	observers     []func(context.Context, Observation)
	dedup         Deduplicator

	// handlerOnly names the handler options that were given, so that
	// NewVerifier can say which one does not belong.
	handlerOnly []string
}

func newConfig(opts []Option) (*config, error) {
	c := &config{
		tolerance:    DefaultTolerance,
		now:          time.Now,
		maxBodyBytes: DefaultMaxBodyBytes,
		timeout:      DefaultTimeout,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("clerkhook: nil Option")
		}
		if err := o.apply(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

type optionFunc struct {
	// name is set for handler-only options.
	handlerOnly string
	fn          func(*config) error
}

func (o optionFunc) apply(c *config) error {
	if o.handlerOnly != "" {
		c.handlerOnly = append(c.handlerOnly, o.handlerOnly)
	}
	return o.fn(c)
}

func verifierOption(fn func(*config) error) Option { return optionFunc{fn: fn} }

func handlerOption(name string, fn func(*config) error) Option {
	return optionFunc{handlerOnly: name, fn: fn}
}

// WithAdditionalSecrets adds signing secrets that are accepted beside the
// main one. During a rotation in the Clerk Dashboard, deliveries may be
// signed with the old secret, the new one or both; configure both until the
// old one has expired.
func WithAdditionalSecrets(secrets ...string) Option {
	return verifierOption(func(c *config) error {
		c.additionalSecrets = append(c.additionalSecrets, secrets...)
		return nil
	})
}

// WithTolerance sets how far the svix-timestamp header may lie from the
// clock, in the past or in the future. The default is [DefaultTolerance].
// A replayed request is only refused once it is older than the tolerance,
// so keep it short.
func WithTolerance(d time.Duration) Option {
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
func WithClock(now func() time.Time) Option {
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
// id, outcome, status and duration; never the secret, the body, or any
// personal data.
func WithLogger(l *slog.Logger) Option {
	return handlerOption("WithLogger", func(c *config) error {
		if l == nil {
			return errors.New("clerkhook: WithLogger(nil)")
		}
		c.logger = l
		return nil
	})
}

// WithMaxBodyBytes sets the largest request body a Handler reads; a larger
// one is answered 413. The default is [DefaultMaxBodyBytes].
func WithMaxBodyBytes(n int64) Option {
	return handlerOption("WithMaxBodyBytes", func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("clerkhook: WithMaxBodyBytes(%d): limit must be positive", n)
		}
		c.maxBodyBytes = n
		return nil
	})
}

// WithTimeout sets the deadline for the store writes and event handlers of
// one delivery. The default is [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return handlerOption("WithTimeout", func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("clerkhook: WithTimeout(%v): timeout must be positive", d)
		}
		c.timeout = d
		return nil
	})
}

// WithEventHandler registers fn for events of the given type, such as
// [EventUserCreated] or an event type the store does not handle. It runs
// after the store write for that event has succeeded; if it fails, the
// delivery is answered 500 and Svix retries it, so fn must be idempotent.
// It may be given several times, also for the same type; the functions run
// in the order given.
func WithEventHandler(eventType string, fn EventHandlerFunc) Option {
	return handlerOption("WithEventHandler", func(c *config) error {
		if fn == nil {
			return fmt.Errorf("clerkhook: WithEventHandler(%q, nil)", eventType)
		}
		if eventType == "" {
			return errors.New("clerkhook: WithEventHandler with an empty event type")
		}
		if c.eventHandlers == nil {
			c.eventHandlers = make(map[string][]EventHandlerFunc)
		}
		c.eventHandlers[eventType] = append(c.eventHandlers[eventType], fn)
		return nil
	})
}

// WithObserver registers fn to be told of every request the Handler
// answers, once the response is written: the delivery id, event type,
// outcome, status and duration, to feed metrics or traces without this
// package depending on a metrics library. It may be given several times.
// The Observation's Err may quote the store's errors; the rest holds
// nothing personal.
func WithObserver(fn func(ctx context.Context, o Observation)) Option {
	return handlerOption("WithObserver", func(c *config) error {
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
func NewVerifier(secret string, opts ...Option) (*Verifier, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if len(c.handlerOnly) > 0 {
		return nil, fmt.Errorf("clerkhook: %s is an option of NewHandler, not of NewVerifier", c.handlerOnly[0])
	}
	return newVerifier(secret, c)
}

// NewHandler returns the http.Handler that receives Clerk's deliveries and
// writes them to store. It fails when the secret is invalid (see
// [NewVerifier]), when store is nil, or when an option is invalid.
func NewHandler(secret string, store UserStore, opts ...Option) (*Handler, error) {
	if store == nil {
		return nil, errors.New("clerkhook: NewHandler: nil UserStore")
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	v, err := newVerifier(secret, c)
	if err != nil {
		return nil, err
	}
	return newHandler(v, store, c), nil
}
