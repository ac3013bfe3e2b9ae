// Package apperr holds the error kinds every layer shares, so that one error
// presenter can turn any of them into the GraphQL error code the API promises
// (README, API: "Errors carry extensions.code") without knowing where it
// came from.
package apperr

import (
	"errors"
	"fmt"
)

// Code is the value of extensions.code in a GraphQL error.
type Code string

// The codes of the API contract.
const (
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeNotFound        Code = "NOT_FOUND"
	CodeBadUserInput    Code = "BAD_USER_INPUT"
	CodeConflict        Code = "CONFLICT"
	CodeRateLimited     Code = "RATE_LIMITED"
	CodeInternal        Code = "INTERNAL"
)

// Sentinels to test with errors.Is; each maps to one code.
var (
	ErrUnauthenticated = errors.New("authentication required")
	ErrForbidden       = errors.New("forbidden")
	ErrNotFound        = errors.New("not found")
	ErrBadInput        = errors.New("bad input")
	ErrConflict        = errors.New("conflict")
	ErrRateLimited     = errors.New("rate limited")
	// ErrUnavailable is a dependency outage; clients see INTERNAL.
	ErrUnavailable = errors.New("service unavailable")
)

// Error is an error with a message meant for the client and, for bad input,
// the path of the field at fault.
type Error struct {
	kind  error
	Msg   string
	Field string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

// Unwrap lets errors.Is find the kind.
func (e *Error) Unwrap() error { return e.kind }

// BadInput reports a field the client got wrong; field is a dotted path
// ("input.items[2].value").
func BadInput(field, format string, args ...any) error {
	return &Error{kind: ErrBadInput, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Forbidden reports an action the principal may not take, saying why.
func Forbidden(format string, args ...any) error {
	return &Error{kind: ErrForbidden, Msg: fmt.Sprintf(format, args...)}
}

// NotFound reports a missing object. Objects the caller may not see are
// reported the same way, so ids cannot be probed.
func NotFound(format string, args ...any) error {
	return &Error{kind: ErrNotFound, Msg: fmt.Sprintf(format, args...)}
}

// Conflict reports a clash with the current state (a concurrent change, a
// closed request, a replayed key with another body).
func Conflict(format string, args ...any) error {
	return &Error{kind: ErrConflict, Msg: fmt.Sprintf(format, args...)}
}

// Unauthenticated reports a missing or refused token.
func Unauthenticated(format string, args ...any) error {
	return &Error{kind: ErrUnauthenticated, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the API code for err and whether its message may be shown
// to the client. Anything unrecognised is INTERNAL and its text stays in
// the logs.
func CodeOf(err error) (code Code, public bool) {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return CodeUnauthenticated, true
	case errors.Is(err, ErrForbidden):
		return CodeForbidden, true
	case errors.Is(err, ErrNotFound):
		return CodeNotFound, true
	case errors.Is(err, ErrBadInput):
		return CodeBadUserInput, true
	case errors.Is(err, ErrConflict):
		return CodeConflict, true
	case errors.Is(err, ErrRateLimited):
		return CodeRateLimited, true
	}
	return CodeInternal, false
}

// FieldOf returns the field path of a bad-input error, if any.
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Message returns the client-facing message of err: its own text for a
// typed Error, and for anything else only the generic text of its kind, so
// a wrapped driver error never shows SQL or values to a client.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	for _, s := range []error{ErrUnauthenticated, ErrForbidden, ErrNotFound, ErrBadInput, ErrConflict, ErrRateLimited} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "internal error"
}

// IsNotFound reports whether err is a NOT_FOUND error.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is a CONFLICT error.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }
