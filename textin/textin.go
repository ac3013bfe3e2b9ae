// Package textin is the one rule for text that reaches the database, the
// same for both stores, every GraphQL argument and `portal import`:
//
//   - invalid UTF-8 is refused (PostgreSQL rejects it with an error that
//     became INTERNAL; SQLite stored it);
//   - U+FFFD, the replacement character, is refused: it is what a JSON
//     decoder makes of invalid UTF-8 and of a lone surrogate escape
//     ("\ud800"), which would otherwise be stored silently in place of
//     what the client sent;
//   - NUL and the other C0 and C1 control characters and DEL are refused
//     (PostgreSQL cannot store NUL in text; BEL and the like have no
//     place in a record); tab, line feed and carriage return are allowed,
//     since summaries, reasons and comments are free text in several
//     lines;
//   - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069)
//     are refused: they make a text display differently from what it
//     holds ("Trojan Source"), which on a staff screen can disguise a
//     phone number or a reason.
//
// Nothing is stripped: a value is stored as sent or refused with
// BAD_USER_INPUT naming the field, so that the sender learns and what is
// stored is what was sent.
package textin

import (
	"unicode/utf8"

	"github.com/xroshot/portal/apperr"
)

// Problem describes what is wrong with s, or "" when the rule accepts it.
func Problem(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return "is not valid UTF-8"
		case r == utf8.RuneError:
			return "contains U+FFFD, the replacement character (a broken encoding or a lone surrogate)"
		case r == 0:
			return "contains a NUL character"
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "contains a control character"
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return "contains a bidirectional override character"
		}
		i += size
	}
	return ""
}

// Check returns a BAD_USER_INPUT error naming field when s breaks the rule.
func Check(field, s string) error {
	if p := Problem(s); p != "" {
		return apperr.BadInput(field, "%s", p)
	}
	return nil
}

// CheckAll checks field/value pairs in order and returns the first error.
func CheckAll(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := Check(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// Walk checks every string in v, a decoded JSON value (maps, slices,
// strings, numbers), naming a failing one by its path under field:
// "input.items[2].value".
func Walk(field string, v any) error {
	switch v := v.(type) {
	case string:
		return Check(field, v)
	case map[string]any:
		for k, x := range v {
			if err := Check(join(field, "key"), k); err != nil {
				return err
			}
			if err := Walk(join(field, k), x); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := Walk(field+"["+itoa(i)+"]", x); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
