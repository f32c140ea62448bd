package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/clerkhook/clerkhook"
)

// function syncs Clerk's users from webhook deliveries handed over by a
// serverless runtime rather than as an *http.Request. It has no
// deduplication: the store's rules make a repeated or late delivery
// harmless.
type function struct {
	verifier *clerkhook.Verifier
	store    clerkhook.UserStore
	logger   *slog.Logger
	// now dates deletions whose event carries no timestamp.
	now func() time.Time
}

func newFunction(secret string, store clerkhook.UserStore, logger *slog.Logger) (*function, error) {
	v, err := clerkhook.NewVerifier(secret)
	if err != nil {
		return nil, err
	}
	return &function{verifier: v, store: store, logger: logger, now: time.Now}, nil
}

// handle verifies, parses and applies one delivery, given as the runtime
// hands it over: the headers with one value per name, in whatever case the
// runtime keeps them, and the body, base64-encoded when isBase64Encoded is
// set. It returns the status to answer: 200 when the delivery was applied
// or needs nothing, 400 for a malformed request, 401 for a bad signature
// or a timestamp out of tolerance, and 500 when the store failed, so that
// Clerk retries.
func (f *function) handle(ctx context.Context, headers map[string]string, body string, isBase64Encoded bool) int {
	// Svix signs the exact bytes it sent. The runtime's body string is
	// those bytes, or their base64 when it flags the body as binary (API
	// Gateway does for some content types and settings): verify the
	// decoded bytes, not the base64 text. Likewise never verify a body
	// decoded from JSON and encoded again: any change of a byte, such as
	// reordered keys or other white space, fails the signature.
	payload := []byte(body)
	if isBase64Encoded {
		var err error
		if payload, err = base64.StdEncoding.DecodeString(body); err != nil {
			f.logger.WarnContext(ctx, "clerk webhook: body is not base64")
			return http.StatusBadRequest
		}
	}
	if err := f.verifier.VerifyMap(payload, headers); err != nil {
		f.logger.WarnContext(ctx, "clerk webhook: refused", "error", err)
		if errors.Is(err, clerkhook.ErrNoMatchingSignature) ||
			errors.Is(err, clerkhook.ErrTimestampTooOld) ||
			errors.Is(err, clerkhook.ErrTimestampTooNew) {
			return http.StatusUnauthorized
		}
		return http.StatusBadRequest
	}
	evt, err := clerkhook.ParseEvent(payload)
	if err != nil {
		f.logger.WarnContext(ctx, "clerk webhook: refused", "error", err)
		return http.StatusBadRequest
	}
	evt.ID = deliveryID(headers)
	if err := f.apply(ctx, evt); errors.Is(err, clerkhook.ErrInvalidEvent) {
		f.logger.WarnContext(ctx, "clerk webhook: refused", "delivery_id", evt.ID, "event_type", evt.Type, "error", err)
		return http.StatusBadRequest
	} else if err != nil {
		f.logger.ErrorContext(ctx, "clerk webhook: failed", "delivery_id", evt.ID, "event_type", evt.Type, "error", err)
		return http.StatusInternalServerError
	}
	f.logger.InfoContext(ctx, "clerk webhook", "delivery_id", evt.ID, "event_type", evt.Type)
	return http.StatusOK
}

// apply writes a user event to the store and ignores the other types.
func (f *function) apply(ctx context.Context, evt *clerkhook.Event) error {
	switch evt.Type {
	case clerkhook.EventUserCreated, clerkhook.EventUserUpdated:
		u, err := evt.User()
		if err != nil {
			return err
		}
		if u.ID == "" {
			return fmt.Errorf("%w: %s without an id", clerkhook.ErrInvalidEvent, evt.Type)
		}
		if err := f.store.UpsertUser(ctx, u); !errors.Is(err, clerkhook.ErrStale) {
			return err
		}
	case clerkhook.EventUserDeleted:
		del, err := evt.DeletedObject()
		if err != nil {
			return err
		}
		if del.ID == "" {
			return fmt.Errorf("%w: %s without an id", clerkhook.ErrInvalidEvent, evt.Type)
		}
		at := evt.Time()
		if at.IsZero() {
			at = f.now()
		}
		return f.store.DeleteUser(ctx, del.ID, at)
	}
	return nil
}

// deliveryID returns the delivery's svix-id (or webhook-id) header, which
// VerifyMap has checked is there once.
func deliveryID(headers map[string]string) string {
	h := make(http.Header, len(headers))
	for name, value := range headers {
		h.Add(name, value)
	}
	return clerkhook.DeliveryID(h)
}
