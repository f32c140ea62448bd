package clerkhook_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// FuzzParseEvent feeds ParseEvent and every typed accessor arbitrary bytes,
// seeded with the fixtures: none may panic, and what they return must keep
// the invariants callers rely on.
func FuzzParseEvent(f *testing.F) {
	for _, fx := range readEventFixtures(f) {
		f.Add(fx.body)
	}
	for _, seed := range []string{
		`{"type":"widget.created","data":{}}`,
		`{"type":"user.created","data":{"email_addresses":[{"verification":{"error":{"meta":null}}}]}}`,
		`{"type":"organizationInvitation.accepted","data":{"data":{"public_organization_data":{}}}}`,
		`{"type":"sms.created","data":{"created_at_ms":1}}`,
		`{"type":"user.created","data":null}`,
		`{"type":"user.created","timestamp":1.5,"data":{}}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := clerkhook.ParseEvent(body)
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrInvalidEvent)
			require.Nil(t, e)
			return
		}
		require.NotEmpty(t, e.Type)
		require.NotEmpty(t, e.Data)
		require.Equal(t, byte('{'), e.Data[0])
		require.True(t, json.Valid(e.Data))
		noTime := e.Timestamp == 0
		require.Equal(t, noTime, e.Time().IsZero())

		own, known := eventShapeOf[e.Type]
		require.Equal(t, known, e.Known())
		for name, get := range eventAccessors {
			v, err := get(e)
			switch {
			case name != own:
				require.ErrorIs(t, err, clerkhook.ErrWrongShape, name)
			case err != nil:
				require.ErrorIs(t, err, clerkhook.ErrInvalidEvent, name)
				require.NotErrorIs(t, err, clerkhook.ErrWrongShape, name)
			default:
				require.NotNil(t, v, name)
			}
		}
	})
}

// FuzzEventData feeds arbitrary data to the typed accessor of every known
// event type, where FuzzParseEvent mostly reaches the parser: decoding must
// not panic, and fails only with ErrInvalidEvent.
func FuzzEventData(f *testing.F) {
	types := clerkhook.EventTypes()
	for _, fx := range readEventFixtures(f) {
		e, err := clerkhook.ParseEvent(fx.body)
		require.NoError(f, err)
		for i, typ := range types {
			if typ == e.Type {
				f.Add(uint8(i), []byte(e.Data))
			}
		}
	}
	f.Fuzz(func(t *testing.T, typeIndex uint8, data []byte) {
		e := &clerkhook.Event{Type: types[int(typeIndex)%len(types)], Data: data}
		v, err := eventAccessors[eventShapeOf[e.Type]](e)
		if err != nil {
			require.ErrorIs(t, err, clerkhook.ErrInvalidEvent)
			if len(data) >= 8 {
				require.NotContains(t, err.Error(), string(data), "errors never quote the payload")
			}
			return
		}
		require.NotNil(t, v)
	})
}
