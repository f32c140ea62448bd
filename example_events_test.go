package clerkhook_test

import (
	"errors"
	"fmt"

	"github.com/clerkhook/clerkhook"
)

// A body that [clerkhook.Verifier.Verify] has accepted is parsed, then its
// data decoded through the accessor of its type. The primary email is not
// necessarily the first one.
func ExampleParseEvent() {
	body := []byte(`{
		"type": "user.created",
		"object": "event",
		"timestamp": 1773134100625,
		"instance_id": "ins_2xjkPI1q4Pa7UeFgLqM5MI34Wfm",
		"data": {
			"object": "user",
			"id": "user_2xKTT7nJO26klrD44UsKlvLAEBT",
			"first_name": "Ada",
			"last_name": null,
			"primary_email_address_id": "idn_2xPrimary",
			"email_addresses": [
				{"id": "idn_2xOld", "email_address": "ada@example.org"},
				{"id": "idn_2xPrimary", "email_address": "ada@example.com"}
			],
			"updated_at": 1773134100603
		}
	}`)

	e, err := clerkhook.ParseEvent(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := e.User()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type, e.Time().UTC())
	fmt.Println(u.ID, u.FullName(), u.PrimaryEmail())
	fmt.Println(u.UpdatedAt)

	_, err = e.Organization()
	fmt.Println(errors.Is(err, clerkhook.ErrWrongShape))
	// Output:
	// user.created 2026-03-10 09:15:00.625 +0000 UTC
	// user_2xKTT7nJO26klrD44UsKlvLAEBT Ada ada@example.com
	// 2026-03-10T09:15:00.603Z
	// true
}

// Events of a type the package does not know still parse, so that a
// receiver can acknowledge them; their data stays raw.
func ExampleEvent_Known() {
	for _, body := range []string{
		`{"type":"organization.created","data":{"id":"org_2xA"}}`,
		`{"type":"widget.created","data":{"id":"widget_2xA"}}`,
	} {
		e, err := clerkhook.ParseEvent([]byte(body))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(e.Type, e.Known(), string(e.Data))
	}
	// Output:
	// organization.created true {"id":"org_2xA"}
	// widget.created false {"id":"widget_2xA"}
}

func ExampleEventTypes() {
	types := clerkhook.EventTypes()
	fmt.Println(len(types), "types, from", types[0], "to", types[len(types)-1])
	// Output: 46 types, from email.created to waitlistEntry.updated
}
