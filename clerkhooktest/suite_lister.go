package clerkhooktest

import (
	"slices"

	"github.com/clerkhook/clerkhook"
)

func userListerCases() []storeCase {
	return []storeCase{{
		name: "lists live users only",
		run: func(h *harness) {
			lister := h.s.(clerkhook.UserLister)
			live, gone, unknown := newID("user_"), newID("user_"), newID("user_")
			for _, id := range []string{live, gone} {
				if err := h.s.UpsertUser(h.ctx, userVersion(id, h.at(1), 1)); err != nil {
					h.t.Fatalf("UpsertUser(%s): %v", id, err)
				}
			}
			for _, id := range []string{gone, unknown} {
				if err := h.s.DeleteUser(h.ctx, id, h.time(2)); err != nil {
					h.t.Fatalf("DeleteUser(%s): %v", id, err)
				}
			}
			ids, err := lister.UserIDs(h.ctx)
			if err != nil {
				h.t.Fatalf("UserIDs: %v", err)
			}
			if !slices.Contains(ids, live) {
				h.t.Errorf("UserIDs does not list stored user %s", live)
			}
			for _, id := range []string{gone, unknown} {
				if slices.Contains(ids, id) {
					h.t.Errorf("UserIDs lists %s, which was deleted", id)
				}
			}
		},
	}}
}
