package copy

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tightrope/tightrope/engine/convert"
)

// converter converts batches of source rows to the target types of a plan.
type converter struct {
	p     *Plan
	bytes int64             // bytes read since the last takeCasts
	casts map[castKey]int64 // applied cast rules since the last takeCasts
	order []castKey         // first-seen order of casts, for stable output
	// scratch receives a row's converted values; they replace the source
	// values only when the whole row converted.
	scratch []any
}

type castKey struct{ column, from, to string }

// castCount is an applied cast rule with how often it applied.
type castCount struct {
	column, from, to string
	n                int64
}

func newConverter(p *Plan) *converter {
	return &converter{p: p, casts: map[castKey]int64{}}
}

// convertBatch converts every row in place and returns the good ones (in
// rows' own backing array); a row with any value that does not fit goes
// whole to the rejected list, with its source values, naming the first
// column that failed.
func (cv *converter) convertBatch(rows [][]any) (good [][]any, rejected []Rejected) {
	if len(cv.scratch) != len(cv.p.Cols) {
		cv.scratch = make([]any, len(cv.p.Cols))
	}
	good = rows[:0]
	for _, row := range rows {
		for i, v := range row {
			cv.bytes += ValueSize(v)
			if cv.p.hasCasts {
				if c := cv.p.casts[i]; c.rule.Map != nil {
					cv.countCast(c, v)
				}
			}
		}
		col, rej := cv.p.convertInto(cv.scratch, row)
		if rej != nil {
			rejected = append(rejected, cv.rejected(row, col, rej))
			continue
		}
		copy(row, cv.scratch)
		good = append(good, row)
	}
	clear(cv.scratch)
	return good, rejected
}

// countCast counts a value that a cast rule will replace.
func (cv *converter) countCast(c columnCast, v any) {
	text, ok := textOf(v)
	if !ok {
		return
	}
	to, hit := c.rule.Map[text]
	if !hit {
		return
	}
	k := castKey{column: c.rule.Column, from: text, to: "NULL"}
	if to != nil {
		k.to = *to
	}
	if _, seen := cv.casts[k]; !seen {
		cv.order = append(cv.order, k)
	}
	cv.casts[k]++
}

// takeCasts returns and resets the casts applied since the last call.
func (cv *converter) takeCasts() []castCount {
	var out []castCount
	for _, k := range cv.order {
		if n := cv.casts[k]; n > 0 {
			out = append(out, castCount{column: k.column, from: k.from, to: k.to, n: n})
		}
	}
	clear(cv.casts)
	cv.order = cv.order[:0]
	return out
}

func (cv *converter) rejected(row []any, col string, r *convert.Reject) Rejected {
	key := make(map[string]any, cv.p.KeyCount)
	whole := make(map[string]any, len(row))
	for i, v := range row {
		jv := JSONValue(v)
		whole[cv.p.Cols[i]] = jv
		if i < cv.p.KeyCount {
			key[cv.p.Cols[i]] = jv
		}
	}
	return Rejected{Key: key, Row: whole, Column: col, Reason: r.Reason, Detail: r.Message}
}

// textOf renders a source value as the text a cast rule is written in.
func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

// JSONValue renders a source value for the rejects table without losing
// anything: numbers keep their exact text, NaN and infinities (which JSON
// has no numbers for) become {"float": "NaN" | "+Inf" | "-Inf"}, bytes
// that are not UTF-8 become {"hex": ...}, times RFC 3339 with nanoseconds.
func JSONValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64:
		return x
	case float64:
		return floatJSON(x, 64)
	case float32:
		return floatJSON(float64(x), 32)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return map[string]string{"hex": hex.EncodeToString(x)}
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}

// floatJSON is a float's shortest exact text as a JSON number, or a
// tagged object for NaN and the infinities.
func floatJSON(f float64, bits int) any {
	switch {
	case math.IsNaN(f):
		return map[string]string{"float": "NaN"}
	case math.IsInf(f, 1):
		return map[string]string{"float": "+Inf"}
	case math.IsInf(f, -1):
		return map[string]string{"float": "-Inf"}
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, bits))
}

// ValueSize is a value's size as the copy counts bytes (assess counts the
// same way).
func ValueSize(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	case nil:
		return 1
	default:
		return 8
	}
}
