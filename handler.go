package clerkhook

import (
	"context"
	"net/http"
)

// EventHandlerFunc handles one event; see [WithEventHandler].
type EventHandlerFunc func(ctx context.Context, evt *Event) error

// Handler placeholder (being written).
type Handler struct {
	v     *Verifier
	store UserStore
	c     *config
}

func newHandler(v *Verifier, store UserStore, c *config) *Handler {
	return &Handler{v: v, store: store, c: c}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {}
