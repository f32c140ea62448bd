package clerkhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// EventHandlerFunc handles one event; see [WithEventHandler]. It runs with
// the deadline of [WithTimeout], and [WriteResultFromContext] tells it what
// became of the delivery's store write.
type EventHandlerFunc func(ctx context.Context, evt *Event) error

// eventHandler is an event handler as registered.
type eventHandler struct {
	fn EventHandlerFunc
	// superseded is set for the handlers of WithSupersededEventHandler,
	// which also run when the store kept a newer version.
	superseded bool
}

// Handler is the http.Handler that receives Clerk's webhook deliveries. For
// each POST it verifies the signature over the raw body, parses the event,
// writes user, organization and membership events to the store, runs the
// event handlers registered for the event's type (only those of
// [WithSupersededEventHandler] when the store kept a newer version or a
// tombstone), and answers:
//
//   - 200 when the delivery was processed, was a duplicate of one already
//     processed, carried an update older than what the store holds, or
//     has a type nothing is configured to handle;
//   - 400 when the svix-* headers are missing or malformed, or the signed
//     body is not an event or its record's id or version does not fit (a
//     value that does not fit another field leaves it at zero: see
//     [Observation.Anomalies]);
//   - 401 when no signature matches or the timestamp is out of tolerance;
//   - 405 (with Allow: POST) for any other method;
//   - 409 while another attempt of the same delivery is being processed;
//   - 413 when the body is larger than [WithMaxBodyBytes];
//   - 500 when the store or an event handler failed or panicked, and 503
//     when they ran out of time ([WithTimeout]), so that Clerk retries.
//
// Response bodies are one generic word; details go to the log.
type Handler struct {
	verifier    *Verifier
	users       UserStore
	orgs        OrganizationStore
	memberships MembershipStore
	dedup       Deduplicator
	writer      DeliveryWriter
	// inline is set for a NonBlockingStore: its deliveries without event
	// handlers skip the goroutine that enforces the deadline.
	inline        bool
	eventHandlers map[string][]eventHandler
	observers     []func(context.Context, Observation)
	logger        *slog.Logger
	maxBodyBytes  int64
	timeout       time.Duration
	now           func() time.Time
	buffers       sync.Pool
}

func newHandler(v *Verifier, store UserStore, c *config) *Handler {
	h := &Handler{
		verifier:      v,
		users:         store,
		eventHandlers: c.eventHandlers,
		observers:     c.observers,
		logger:        c.logger,
		maxBodyBytes:  c.maxBodyBytes,
		timeout:       c.timeout,
		now:           c.now,
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.orgs, _ = store.(OrganizationStore)
	h.memberships, _ = store.(MembershipStore)
	h.dedup, _ = store.(Deduplicator)
	h.writer, _ = store.(DeliveryWriter)
	if nb, ok := store.(NonBlockingStore); ok {
		h.inline = nb.NonBlocking()
	}
	if c.dedup != nil {
		// The store's DeliveryWriter would record the delivery in the
		// store's ledger, not in this one; and a ledger that may block
		// needs the deadline of process.
		nb, ok := c.dedup.(NonBlockingStore)
		h.dedup, h.writer, h.inline = c.dedup, nil, h.inline && ok && nb.NonBlocking()
	}
	return h
}

// Outcome is what became of a delivery; the response body is its name.
type Outcome string

// The outcomes of a delivery.
const (
	// OutcomeProcessed: the store write and the event handlers succeeded.
	OutcomeProcessed Outcome = "processed"
	// OutcomeStale: the store kept a newer version or a tombstone; only
	// the event handlers of [WithSupersededEventHandler] ran.
	OutcomeStale Outcome = "stale"
	// OutcomeDuplicate: the delivery had been processed before; nothing ran.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeIgnored: nothing is configured to handle the event's type.
	OutcomeIgnored Outcome = "ignored"
	// OutcomeInProgress: another attempt of the delivery is being
	// processed; answered 409 so that Clerk retries.
	OutcomeInProgress Outcome = "in_progress"
	// OutcomeRejected: the request was refused with a 4xx; see
	// [Observation.Reason].
	OutcomeRejected Outcome = "rejected"
	// OutcomeFailed: the store or an event handler failed; answered 5xx so
	// that Clerk retries.
	OutcomeFailed Outcome = "failed"
)

// Observation describes one request a Handler answered, for metrics and
// tracing; see [WithObserver].
type Observation struct {
	// DeliveryID is the svix-id header, or "" when it was missing.
	DeliveryID string
	// EventType and ObjectID are "" when the request was refused before
	// its event was parsed.
	EventType string
	ObjectID  string
	Outcome   Outcome
	// Reason says why a request was rejected, in a few words fit for a
	// metric label: "method_not_allowed", "body_too_large",
	// "unreadable_body", "missing_headers", "malformed_headers",
	// "bad_signature", "timestamp_too_old", "timestamp_too_new" or
	// "invalid_event". It is "" for other outcomes.
	Reason   string
	Status   int
	Duration time.Duration
	// Err is the error of a rejected or failed delivery.
	Err error
	// SecretIndex is the position of the signing secret that verified the
	// request: 0 for the secret given to NewHandler, i for the i-th of
	// [WithAdditionalSecrets]; -1 when none did. SecretFingerprint is that
	// secret's [SecretFingerprint], "" when none did. During a rotation
	// they say which secret Clerk still signs with.
	SecretIndex       int
	SecretFingerprint string
	// Anomalies lists the values of the event that did not fit their
	// fields, which were left at their zero values (the event's Data keeps
	// them): Clerk's payloads drift from its documentation. Each is
	// a JSON pointer made only of the schema's field names and list
	// indexes, such as "/data/has_image" or
	// "/data/email_addresses/0/verification/attempts"; a name that is no
	// field of the typed shapes, such as a metadata key, is "*". It is nil
	// when every value fitted, and for rejected requests: a record whose
	// id or updated_at (for a membership, also its organization's id or
	// its user's id) does not fit is refused with 400.
	Anomalies []string
}

// delivery is what the Handler knows of one request as it goes.
type delivery struct {
	id       string
	event    *Event
	objectID string
	outcome  Outcome
	reason   string
	status   int
	err      error
	// secret is the index of the secret that verified the request, -1
	// before.
	secret int
	// anomalies are the event's values that did not fit their fields.
	anomalies []string
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	d := delivery{id: DeliveryID(r.Header), secret: -1}
	h.serve(w, r, &d)
	took := h.now().Sub(start)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(d.status)
	io.WriteString(w, string(d.outcome))
	io.WriteString(w, "\n")
	h.log(r.Context(), &d, took)
	h.observe(r.Context(), &d, took)
}

// observe hands the delivery to the observers.
func (h *Handler) observe(ctx context.Context, d *delivery, took time.Duration) {
	if len(h.observers) == 0 {
		return
	}
	o := Observation{
		DeliveryID: d.id,
		ObjectID:   d.objectID,
		Outcome:    d.outcome,
		Reason:     d.reason,
		Status:     d.status,
		Duration:   took,
		Err:        d.err,
		Anomalies:  d.anomalies,

		SecretIndex: d.secret,
	}
	if d.event != nil {
		o.EventType = d.event.Type
	}
	if d.secret >= 0 {
		o.SecretFingerprint = h.verifier.fingerprints[d.secret]
	}
	for _, fn := range h.observers {
		fn(ctx, o)
	}
}

// rejectionReason names the cause of a 4xx for an Observation.
func rejectionReason(status int, err error) string {
	switch {
	case status == http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case status == http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case errors.Is(err, ErrMissingHeaders):
		return "missing_headers"
	case errors.Is(err, ErrMalformedHeaders):
		return "malformed_headers"
	case errors.Is(err, ErrNoMatchingSignature):
		return "bad_signature"
	case errors.Is(err, ErrTimestampTooOld):
		return "timestamp_too_old"
	case errors.Is(err, ErrTimestampTooNew):
		return "timestamp_too_new"
	case errors.Is(err, ErrInvalidEvent):
		return "invalid_event"
	default:
		return "unreadable_body"
	}
}

// reject records that the delivery was refused with status.
func (d *delivery) reject(status int, err error) {
	d.status, d.outcome, d.reason, d.err = status, OutcomeRejected, rejectionReason(status, err), err
}

// serve handles the request of d, recording the outcome in d.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, d *delivery) {
	buf := h.getBuffer()
	defer h.putBuffer(buf)
	secret, status, err := readVerified(w, r, h.verifier, h.maxBodyBytes, buf)
	if err != nil {
		d.reject(status, err)
		return
	}
	d.secret = secret
	// Nothing decoded may point into buf, which is reused. The text stores
	// cannot hold is replaced before anything is decoded, so that the typed
	// fields and the raw data agree.
	evt, data, anomalies, err := h.decode(storableJSON(buf.Bytes()))
	if err != nil {
		d.reject(http.StatusBadRequest, err)
		return
	}
	evt.ID = d.id
	d.event = evt
	job := work{anomalies: anomalies}
	todo, err := h.plan(evt, data, &job)
	if err != nil {
		d.reject(http.StatusBadRequest, err)
		return
	}
	d.anomalies = job.anomalies
	if !todo {
		d.status, d.outcome = http.StatusOK, OutcomeIgnored
		return
	}
	d.objectID = job.objectID
	h.process(r.Context(), d, &job)
}

// readVerified reads the body of a delivery into buf and verifies its
// signature. It returns the index of the secret that verified it, or on
// failure the status to answer.
func readVerified(w http.ResponseWriter, r *http.Request, v *Verifier, limit int64, buf *bytes.Buffer) (secret, status int, err error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return -1, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed", r.Method)
	}
	if r.ContentLength > limit {
		return -1, http.StatusRequestEntityTooLarge, fmt.Errorf("body of %d bytes is over the limit of %d", r.ContentLength, limit)
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return -1, http.StatusRequestEntityTooLarge, fmt.Errorf("body is over the limit of %d bytes", limit)
		}
		return -1, http.StatusBadRequest, fmt.Errorf("reading the body: %w", err)
	}
	d := headersFromHTTP(r.Header)
	secret, err = v.verify(buf.Bytes(), &d)
	if err != nil {
		return -1, verifyStatus(err), err
	}
	return secret, http.StatusOK, nil
}

// verifyStatus is the status that answers a verification error.
func verifyStatus(err error) int {
	switch {
	case errors.Is(err, ErrNoMatchingSignature), errors.Is(err, ErrTimestampTooOld), errors.Is(err, ErrTimestampTooNew):
		return http.StatusUnauthorized
	default:
		return http.StatusBadRequest
	}
}

// work is what a delivery makes the Handler do: at most one store write,
// then the event handlers.
type work struct {
	objectID string
	write    storeWrite
	// The record of an upsert, or the membership of a deletion.
	user       *User
	org        *Organization
	membership *OrganizationMembership
	// deletedAt dates a deletion.
	deletedAt time.Time
	// once is set when the write records the delivery in the same step
	// (see DeliveryWriter).
	once     bool
	handlers []eventHandler
	// anomalies are the values of the event that did not fit their fields.
	anomalies []string
}

// storeWrite names the store method a delivery calls.
type storeWrite int

const (
	noWrite storeWrite = iota
	upsertUser
	deleteUser
	upsertOrganization
	deleteOrganization
	upsertMembership
	deleteMembership
)

// decode parses a verified body. An event whose data the handler stores and
// no event handler wants, the bulk of deliveries, is decoded in one pass
// into its typed data, which is returned, and without the event's Data (a
// record keeps its own as Raw): by hand (fastdecode.go) for users,
// organizations and memberships. Any other, and any that does not fit its
// types, takes ParseEvent, and returns no typed data but the anomalies of
// the envelope.
func (h *Handler) decode(body []byte) (*Event, any, []string, error) {
	if typ := guessType(body); typ != "" && len(h.eventHandlers[typ]) == 0 {
		var evt *Event
		var data any
		ok := false
		switch typ {
		case EventUserCreated, EventUserUpdated:
			evt, data, ok = decodeEvent(body, typ, (*scanner).user)
		case EventUserDeleted:
			evt, data, ok = decodeTyped[DeletedObject](body, typ)
		case EventOrganizationDeleted:
			if h.orgs != nil {
				evt, data, ok = decodeTyped[DeletedObject](body, typ)
			}
		case EventOrganizationCreated, EventOrganizationUpdated:
			if h.orgs != nil {
				evt, data, ok = decodeEvent(body, typ, (*scanner).organization)
			}
		default:
			if h.memberships != nil {
				evt, data, ok = decodeEvent(body, typ, (*scanner).organizationMembership)
			}
		}
		if ok {
			return evt, data, nil, nil
		}
	}
	evt, anomalies, err := parseEvent(body)
	return evt, nil, anomalies, err
}

// typedData returns the data of evt, of shape sh, as a T: data when decode
// has decoded it already, or what decodeRecord decodes, whose anomalies it
// adds to w.
func typedData[T any](evt *Event, data any, w *work, sh shape, read func(*scanner, *T)) (*T, error) {
	if v, ok := data.(*T); ok {
		return v, nil
	}
	v, anomalies, err := decodeRecord(evt, sh, read)
	w.anomalies = append(w.anomalies, anomalies...)
	return v, err
}

// plan decides what the delivery does, decoding the event's data unless
// decode did, into w. It reports false for an event nothing handles, and an
// error matching ErrInvalidEvent for data that does not fit the event's
// type.
func (h *Handler) plan(evt *Event, data any, w *work) (bool, error) {
	w.handlers = h.eventHandlers[evt.Type]
	var err error
	switch evt.Type {
	case EventUserCreated, EventUserUpdated:
		if w.user, err = typedData(evt, data, w, shapeUser, (*scanner).user); err == nil {
			w.objectID, w.write = w.user.ID, upsertUser
		}
	case EventUserDeleted:
		var del *DeletedObject
		if del, err = typedData[DeletedObject](evt, data, w, shapeDeletedObject, nil); err == nil {
			w.objectID, w.write, w.deletedAt = del.ID, deleteUser, h.eventTime(evt)
		}
	case EventOrganizationCreated, EventOrganizationUpdated:
		if h.orgs != nil {
			if w.org, err = typedData(evt, data, w, shapeOrganization, (*scanner).organization); err == nil {
				w.objectID, w.write = w.org.ID, upsertOrganization
			}
		}
	case EventOrganizationDeleted:
		if h.orgs != nil {
			var del *DeletedObject
			if del, err = typedData[DeletedObject](evt, data, w, shapeDeletedObject, nil); err == nil {
				w.objectID, w.write, w.deletedAt = del.ID, deleteOrganization, h.eventTime(evt)
			}
		}
	case EventOrganizationMembershipCreated, EventOrganizationMembershipUpdated, EventOrganizationMembershipDeleted:
		if h.memberships != nil {
			if w.membership, err = typedData(evt, data, w, shapeOrganizationMembership, (*scanner).organizationMembership); err == nil {
				w.objectID, w.write = w.membership.ID, upsertMembership
				if w.membership.OrganizationID() == "" || w.membership.UserID() == "" {
					return false, fmt.Errorf("%w: %s without organization.id or public_user_data.user_id", ErrInvalidEvent, evt.Type)
				}
				if evt.Type == EventOrganizationMembershipDeleted {
					w.write, w.deletedAt = deleteMembership, membershipDeletedAt(evt, w.membership)
				}
			}
		}
	}
	if err != nil {
		return false, err
	}
	if w.write != noWrite && w.objectID == "" {
		return false, fmt.Errorf("%w: %s without an id", ErrInvalidEvent, evt.Type)
	}
	w.once = h.writer != nil && len(w.handlers) == 0 && (w.write == upsertUser || w.write == deleteUser)
	return w.write != noWrite || len(w.handlers) > 0, nil
}

// store does the store write of w.
func (h *Handler) store(ctx context.Context, evt *Event, w *work) error {
	switch w.write {
	case upsertUser:
		if w.once {
			return h.writer.UpsertUserDelivery(ctx, evt.ID, evt.Type, w.user)
		}
		return h.users.UpsertUser(ctx, w.user)
	case deleteUser:
		if w.once {
			return h.writer.DeleteUserDelivery(ctx, evt.ID, evt.Type, w.objectID, w.deletedAt)
		}
		return h.users.DeleteUser(ctx, w.objectID, w.deletedAt)
	case upsertOrganization:
		return h.orgs.UpsertOrganization(ctx, w.org)
	case deleteOrganization:
		return h.orgs.DeleteOrganization(ctx, w.objectID, w.deletedAt)
	case upsertMembership:
		return h.memberships.UpsertMembership(ctx, w.membership)
	case deleteMembership:
		return h.memberships.DeleteMembership(ctx, w.membership.OrganizationID(), w.membership.UserID(), w.deletedAt)
	default:
		return nil
	}
}

// eventTime is when evt happened, by the clock when the event does not
// say: deletions must be dated.
func (h *Handler) eventTime(evt *Event) time.Time {
	if t := evt.Time(); !t.IsZero() {
		return t
	}
	return h.now()
}

// membershipDeletedAt dates the deletion of m: when the envelope has no
// timestamp, by m's own updated_at, the version that was deleted, and never
// by the receiver's clock. A retry dated by the clock of its attempt could
// come after the user was invited again, and delete the new membership; the
// deleted version's updated_at is older than any version of a later
// membership, so the deletion ends the membership it was about and never
// a newer one.
func membershipDeletedAt(evt *Event, m *OrganizationMembership) time.Time {
	if t := evt.Time(); !t.IsZero() {
		return t
	}
	return m.UpdatedAt.Time()
}

// process runs the work of a delivery under the Handler's deadline and
// records the outcome in d. The work runs in its own goroutine so that a
// store or event handler that ignores its context cannot hold the response
// past the deadline; the goroutine ends when they return. Only the writes
// of a [NonBlockingStore], with no event handler, run on the caller's.
// The work's context carries the event, for [EventFromContext].
func (h *Handler) process(ctx context.Context, d *delivery, w *work) {
	ctx = context.WithValue(ctx, eventContextKey{}, d.event)
	if h.inline && len(w.handlers) == 0 {
		h.runRecovered(ctx, d.event, w, d)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	done := make(chan *delivery, 1)
	evt, wk := d.event, *w
	go func() {
		result := &delivery{}
		defer func() { done <- result }()
		h.runRecovered(ctx, evt, &wk, result)
	}()
	select {
	case r := <-done:
		d.status, d.outcome, d.err = r.status, r.outcome, r.err
	case <-ctx.Done():
		d.status, d.outcome, d.err = http.StatusServiceUnavailable, OutcomeFailed, ctx.Err()
	}
}

// runRecovered is run, which turns a panic of the store or an event
// handler into a failure of the delivery, answered 500.
func (h *Handler) runRecovered(ctx context.Context, evt *Event, w *work, result *delivery) {
	defer func() {
		if v := recover(); v != nil {
			result.status, result.outcome = http.StatusInternalServerError, OutcomeFailed
			result.err = fmt.Errorf("panic of type %T: %s", v, debug.Stack())
		}
	}()
	h.run(ctx, evt, w, result)
}

// run does the work of one delivery with the bookkeeping of deduplication.
func (h *Handler) run(ctx context.Context, evt *Event, w *work, result *delivery) {
	if w.once {
		result.err = h.store(ctx, evt, w)
		h.settle(ctx, result)
		return
	}
	if h.dedup == nil {
		result.err = h.apply(ctx, evt, w)
		h.settle(ctx, result)
		return
	}
	token, err := h.dedup.ClaimDelivery(ctx, evt.ID, evt.Type)
	if err != nil {
		result.err = err
		h.settle(ctx, result)
		return
	}
	claimed := true
	defer func() {
		// A panic or failure must not leave the claim to block the retry.
		if claimed {
			h.release(ctx, evt.ID, token)
		}
	}()
	if result.err = h.apply(ctx, evt, w); result.err != nil && !errors.Is(result.err, ErrStale) {
		h.settle(ctx, result)
		return
	}
	h.complete(ctx, evt.ID, token)
	claimed = false
	h.settle(ctx, result)
}

// settleContext returns the context of a claim's completion or release: a
// deadline of its own, detached from ctx, which may be the one that ran
// out after the work was done.
func (h *Handler) settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
}

// complete records the claimed delivery as processed. When it fails,
// everything was applied all the same: answering 2xx is right, and a retry
// after the claim lapsed runs the event handlers again.
func (h *Handler) complete(ctx context.Context, id, token string) {
	ctx, cancel := h.settleContext(ctx)
	defer cancel()
	if err := h.dedup.CompleteDelivery(ctx, id, token); err != nil {
		h.logger.LogAttrs(ctx, slog.LevelError, "clerkhook: recording a processed delivery failed",
			slog.String("delivery_id", id), slog.Any("error", err))
	}
}

// release gives up a claim, so that the retry can claim it at once.
func (h *Handler) release(ctx context.Context, id, token string) {
	ctx, cancel := h.settleContext(ctx)
	defer cancel()
	if err := h.dedup.ReleaseDelivery(ctx, id, token); err != nil {
		h.logger.LogAttrs(ctx, slog.LevelError, "clerkhook: releasing a delivery claim failed",
			slog.String("delivery_id", id), slog.Any("error", err))
	}
}

// apply does the store write, then runs the event handlers. When the store
// kept a newer version or a tombstone, only the handlers that asked for
// superseded events run: the others' side effects (a welcome email after
// the deletion, an older version pushed over a newer one) would be wrong.
func (h *Handler) apply(ctx context.Context, evt *Event, w *work) error {
	result := WriteNone
	var stale error
	if w.write != noWrite {
		switch err := h.store(ctx, evt, w); {
		case errors.Is(err, ErrStale):
			result, stale = WriteSuperseded, err
		case err != nil:
			return fmt.Errorf("store: %w", err)
		default:
			result = WriteApplied
		}
	}
	if len(w.handlers) == 0 {
		return stale
	}
	ctx = context.WithValue(ctx, writeResultContextKey{}, result)
	for _, eh := range w.handlers {
		if result == WriteSuperseded && !eh.superseded {
			continue
		}
		if err := eh.fn(ctx, evt); err != nil {
			return fmt.Errorf("event handler: %w", err)
		}
	}
	return stale
}

// settle turns the error of a delivery's work into its status and outcome.
func (h *Handler) settle(ctx context.Context, r *delivery) {
	switch err := r.err; {
	case err == nil:
		r.status, r.outcome = http.StatusOK, OutcomeProcessed
	case errors.Is(err, ErrStale):
		r.status, r.outcome, r.err = http.StatusOK, OutcomeStale, nil
	case errors.Is(err, ErrDuplicateDelivery):
		r.status, r.outcome, r.err = http.StatusOK, OutcomeDuplicate, nil
	case errors.Is(err, ErrDeliveryInProgress):
		r.status, r.outcome, r.err = http.StatusConflict, OutcomeInProgress, nil
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		r.status, r.outcome = http.StatusServiceUnavailable, OutcomeFailed
	default:
		r.status, r.outcome = http.StatusInternalServerError, OutcomeFailed
	}
}

// maxLoggedIDBytes bounds the delivery id in the log. Before verification
// it is whatever the client sent, up to the server's header limit; Svix's
// ids are about 30 bytes.
const maxLoggedIDBytes = 128

// log writes the one line of a delivery: Info when it was accepted, Warn
// when it was refused or some of its values did not fit their fields,
// Error when it failed. It never logs the body or anything from it but ids,
// the type, and the places of the anomalies in the schema.
func (h *Handler) log(ctx context.Context, d *delivery, took time.Duration) {
	level := slog.LevelInfo
	switch {
	case d.status >= 500:
		level = slog.LevelError
	case d.status >= 400, len(d.anomalies) > 0:
		level = slog.LevelWarn
	}
	if !h.logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	id := d.id
	if len(id) > maxLoggedIDBytes {
		id = id[:maxLoggedIDBytes] + "…"
	}
	attrs = append(attrs, slog.String("delivery_id", id))
	if d.event != nil {
		attrs = append(attrs, slog.String("event_type", d.event.Type))
	}
	if d.objectID != "" {
		attrs = append(attrs, slog.String("object_id", d.objectID))
	}
	attrs = append(attrs,
		slog.String("outcome", string(d.outcome)),
		slog.Int("status", d.status),
		slog.Duration("duration", took))
	if d.secret >= 0 {
		attrs = append(attrs, slog.String("secret_fingerprint", h.verifier.fingerprints[d.secret]))
	}
	if d.reason != "" {
		attrs = append(attrs, slog.String("reason", d.reason))
	}
	if d.err != nil {
		attrs = append(attrs, slog.String("error", d.err.Error()))
	}
	if len(d.anomalies) > 0 {
		attrs = append(attrs, slog.Any("anomalies", d.anomalies))
	}
	h.logger.LogAttrs(ctx, level, "clerk webhook", attrs...)
}

// maxPooledBuffer keeps the buffers of unusually large bodies from staying
// in memory.
const maxPooledBuffer = 256 << 10

func (h *Handler) getBuffer() *bytes.Buffer {
	if b, ok := h.buffers.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (h *Handler) putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	h.buffers.Put(b)
}

// eventContextKey is the context key of the verified event.
type eventContextKey struct{}

// EventFromContext returns the verified event of the delivery: inside the
// store methods and event handlers that a [Handler] calls for it, and in
// the request's context under [Middleware]. It reports false elsewhere,
// such as in the writes of [Backfill]. A store reads it to learn which
// delivery (its [Event.ID], the svix-id) and which event type caused a
// write.
func EventFromContext(ctx context.Context) (*Event, bool) {
	evt, ok := ctx.Value(eventContextKey{}).(*Event)
	return evt, ok
}

// Middleware returns middleware that verifies and parses each request as
// the Handler does, answering refusals with the same statuses, and calls
// next with the parsed [Event] in the request's context
// ([EventFromContext]) and the body still readable. Bodies over
// [DefaultMaxBodyBytes] are refused. Next decides what is stored and what
// is answered; unlike the Handler, the middleware does no deduplication.
func Middleware(v *Verifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var buf bytes.Buffer
			if _, status, err := readVerified(w, r, v, DefaultMaxBodyBytes, &buf); err != nil {
				http.Error(w, http.StatusText(status), status)
				return
			}
			body := buf.Bytes()
			evt, err := ParseEvent(body)
			if err != nil {
				http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
				return
			}
			evt.ID = DeliveryID(r.Header)
			r2 := r.WithContext(context.WithValue(r.Context(), eventContextKey{}, evt))
			r2.Body = io.NopCloser(bytes.NewReader(body))
			r2.ContentLength = int64(len(body))
			next.ServeHTTP(w, r2)
		})
	}
}
