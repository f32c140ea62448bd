package pgxstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/jackc/pgx/v5/pgconn"
)

// errorf wraps err with the name of the operation that failed. The text
// never includes ids or values from a record: they may be personal data,
// and the text reaches the Handler's log line and Observation.Err. Of a
// PostgreSQL error it keeps the SQLSTATE, and the message only in the
// classes whose messages name no value; of an error encoding a record as
// JSON, whose text names metadata keys, the Go type or the offset; of pgx's
// error encoding an argument, which quotes the argument, nothing. The error still wraps err, for errors.Is and errors.As.
func errorf(op string, err error) error { return &storeError{op: op, err: err} }

// storeError is the error of a failed operation; see errorf.
type storeError struct {
	op  string
	err error
}

func (e *storeError) Error() string { return "pgxstore: " + e.op + ": " + safeText(e.err) }

func (e *storeError) Unwrap() error { return e.err }

// safeText describes err without the values the texts of some errors
// quote.
func safeText(err error) string {
	var pgErr *pgconn.PgError
	var semantic *json.SemanticError
	var syntactic *jsontext.SyntacticError
	var hook *hookError
	switch {
	case errors.As(err, &hook):
		// It describes the hook's error with safeText.
		return hook.Error()
	case errors.As(err, &pgErr):
		return pgErrorText(pgErr)
	case errors.As(err, &semantic):
		// Its text names the JSON path, made of metadata keys, and may
		// quote the offending text.
		return fmt.Sprintf("encoding a value of Go type %v as JSON failed", semantic.GoType)
	case errors.As(err, &syntactic):
		// Its text names the JSON path too.
		return fmt.Sprintf("encoding the record as JSON failed at byte %d", syntactic.ByteOffset)
	case strings.Contains(err.Error(), "failed to encode args["):
		// pgx formats the argument it could not encode with %#v.
		return "pgx could not encode an argument"
	default:
		return err.Error()
	}
}

// valueFreeClasses are the SQLSTATE classes whose messages name objects
// (constraints, relations, columns, locks) but never a value: connection,
// integrity constraint, transaction state, rollback (serialization,
// deadlock), syntax and access rule, resources, program limits, object
// state, operator intervention and system errors. The messages of the
// others, data exceptions (class 22: "invalid byte sequence for encoding
// "UTF8": 0x00", "invalid input syntax for type uuid: "…"") above all,
// may quote what was written.
var valueFreeClasses = map[string]bool{
	"08": true, "23": true, "25": true, "40": true, "42": true,
	"53": true, "54": true, "55": true, "57": true, "58": true,
}

// pgErrorText describes a PostgreSQL error without its detail, hint and
// context, which quote rows, and without a message that may quote a value.
func pgErrorText(e *pgconn.PgError) string {
	if len(e.Code) == 5 && valueFreeClasses[e.Code[:2]] {
		return fmt.Sprintf("%s: %s (SQLSTATE %s)", e.Severity, e.Message, e.Code)
	}
	if strings.HasPrefix(e.Code, "22") {
		return fmt.Sprintf("%s: the server refused a value (SQLSTATE %s)", e.Severity, e.Code)
	}
	return fmt.Sprintf("%s: SQLSTATE %s", e.Severity, e.Code)
}
