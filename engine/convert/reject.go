package convert

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// ReasonTargetRefused is a row whose values fit but that the target
// refused by a rule of its own: a foreign key, a unique key, a check or NOT
// NULL constraint, or a trigger's error. It is given by the copier, not by
// Convert.
const ReasonTargetRefused = "target_refused"

// maxShown is how many characters of a value a Reject message shows.
const maxShown = 40

// rejectf builds a Reject whose message reads "<value> <predicate>
// (target column type <decl>)".
func rejectf(reason string, t *Type, v any, predicate string, args ...any) *Reject {
	if len(args) > 0 {
		predicate = fmt.Sprintf(predicate, args...)
	}
	return &Reject{
		Reason:  reason,
		Message: showValue(v) + " " + predicate + " (target column type " + t.String() + ")",
	}
}

// showValue renders a value for a message: strings quoted and cut to
// maxShown characters, bytes that are not text in hex, numbers as numbers.
func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return quoteCut(x)
	case []byte:
		if utf8.Valid(x) {
			return quoteCut(string(x))
		}
		if len(x) > maxShown/2 {
			return "x'" + hex.EncodeToString(x[:maxShown/2]) + "…'"
		}
		return "x'" + hex.EncodeToString(x) + "'"
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	s := fmt.Sprintf("%v", v)
	if utf8.RuneCountInString(s) > maxShown {
		s = cut(s) + "…"
	}
	return fmt.Sprintf("%s (a Go %T)", s, v)
}

// quoteCut quotes s, cut to maxShown characters with an ellipsis.
func quoteCut(s string) string {
	if utf8.RuneCountInString(s) <= maxShown {
		return strconv.Quote(s)
	}
	q := strconv.Quote(cut(s))
	return q[:len(q)-1] + `…"`
}

// cut returns the first maxShown characters of s.
func cut(s string) string {
	n := 0
	for i := range s {
		if n == maxShown {
			return s[:i]
		}
		n++
	}
	return s
}
