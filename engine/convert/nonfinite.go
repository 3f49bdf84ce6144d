package convert

import "strings"

// PostgreSQL's non-finite values: numeric NaN and ±Infinity, and the
// ±infinity of date, timestamp and timestamptz. A PostgreSQL source reads
// them as their text ("NaN", "Infinity", "-Infinity"; "infinity",
// "-infinity"). Converted for a PostgreSQL column that can hold them they
// stay that text, which is also their canonical form, and the COPY
// encoder writes their binary form. Every other target refuses them with
// a reason: MySQL has no such values, and SQLite neither (it would store
// a NaN as NULL, and an infinite date only as text that no longer reads
// as a date). The rejects keep them whole, as the text they are.

// nonFiniteDecimal returns the canonical spelling of a non-finite numeric
// spelled s as PostgreSQL reads it (case-insensitive NaN, [+-]Infinity,
// [+-]inf), or false.
func nonFiniteDecimal(s string) (string, bool) {
	switch strings.ToLower(trimSpace(s)) {
	case "nan":
		return "NaN", true
	case "infinity", "+infinity", "inf", "+inf":
		return "Infinity", true
	case "-infinity", "-inf":
		return "-Infinity", true
	}
	return "", false
}

// fitNonFiniteDecimal says whether the decimal column t holds nf, a
// canonical non-finite numeric: a PostgreSQL numeric holds NaN, and the
// infinities only without a declared precision.
func fitNonFiniteDecimal(n any, nf string, t *Type) *Reject {
	switch {
	case t.Engine != EnginePostgres:
		return rejectf(ReasonNotNumber, t, n, "is %s, which only a PostgreSQL numeric holds", nf)
	case nf != "NaN" && t.Precision > 0:
		return rejectf(ReasonOutOfRange, t, n, "is %s; a numeric with a declared precision cannot hold an infinite value", nf)
	}
	return nil
}

// infiniteTime returns the canonical spelling ("infinity", "-infinity")
// of a date or timestamp infinity given as text, with a Reject when the
// column t cannot hold it; special is false for any other value.
func infiniteTime(n any, t *Type) (s string, special bool, r *Reject) {
	var text string
	switch x := n.(type) {
	case string:
		text = x
	case []byte:
		if len(x) > 10 {
			return "", false, nil
		}
		text = string(x)
	default:
		return "", false, nil
	}
	switch strings.ToLower(trimSpace(text)) {
	case "infinity", "+infinity":
		s = "infinity"
	case "-infinity":
		s = "-infinity"
	default:
		return "", false, nil
	}
	if t.Engine != EnginePostgres {
		return "", true, rejectf(ReasonInvalidDate, t, n, "is %s, which only PostgreSQL's dates and timestamps hold", s)
	}
	return s, true, nil
}
