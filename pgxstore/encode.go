package pgxstore

import (
	"github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// encodeOptions make the encoder write what encoding/json writes, as the
// data column always held: nil slices as null, and omitempty leaving out
// false, 0 and empty strings but not an empty metadata object.
var encodeOptions = json.JoinOptions(json.FormatNilSliceAsNull(true), jsonv1.OmitEmptyWithLegacySemantics(true))

// encode returns the JSON of a record for its data column. It uses the
// prototype of encoding/json/v2, as package clerkhook does to decode, being
// several times faster than encoding/json at encoding a Clerk user: on a
// busy database server every event's encoding takes CPU from PostgreSQL.
func encode(v any) ([]byte, error) { return json.Marshal(v, encodeOptions) }

// recordData returns the JSON of a record for its data column: raw, the
// record's Raw as Clerk sent it, unknown keys included, when it is not
// empty; else the encoded record.
func recordData(raw []byte, v any) ([]byte, error) {
	if len(raw) > 0 {
		return raw, nil
	}
	return encode(v)
}
