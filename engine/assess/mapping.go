package assess

import (
	"fmt"

	"github.com/tightrope/tightrope/engine/convert"
)

// narrowing says how a target type is narrower than the source type, or
// means something else; "" when every source value has an equal target
// value by type alone.
func narrowing(src, dst convert.Type) string {
	if dst.Kind == convert.Any {
		return ""
	}
	if src.Kind != dst.Kind {
		switch {
		case src.Kind == convert.Integer && dst.Kind == convert.Decimal:
			if dst.Precision > 0 && dst.Precision-dst.Scale < intDigits(src) {
				return fmt.Sprintf("integer into %d digits before the point", dst.Precision-dst.Scale)
			}
			return ""
		case dst.Kind == convert.Text && src.Kind != convert.Binary && src.Kind != convert.Any:
			if dst.Length > 0 {
				return fmt.Sprintf("%s written as text of at most %d characters", src.Kind, dst.Length)
			}
			return ""
		case src.Kind == convert.Timestamp && dst.Kind == convert.TimestampTZ,
			src.Kind == convert.TimestampTZ && dst.Kind == convert.Timestamp:
			return fmt.Sprintf("%s into %s: the time zone is %s", src.Kind, dst.Kind, tzWord(dst.Kind))
		}
		return fmt.Sprintf("%s into %s changes the meaning: values that are not %s are rejected", src.Kind, dst.Kind, dst.Kind)
	}
	switch dst.Kind {
	case convert.Integer:
		if bits(dst.Bits) < bits(src.Bits) || (src.Unsigned && !dst.Unsigned && bits(dst.Bits) == bits(src.Bits)) {
			return fmt.Sprintf("%d-bit integer into %d bits", bits(src.Bits), bits(dst.Bits))
		}
	case convert.Decimal:
		if dst.Precision > 0 && (src.Precision == 0 || dst.Scale < src.Scale || dst.Precision-dst.Scale < src.Precision-src.Scale) {
			return fmt.Sprintf("decimal(%d,%d) into decimal(%d,%d): digits that do not fit are rejected", src.Precision, src.Scale, dst.Precision, dst.Scale)
		}
	case convert.Float:
		if bits(dst.Bits) < bits(src.Bits) {
			return "double into single precision"
		}
	case convert.Text, convert.Binary:
		if dst.Length > 0 && (src.Length == 0 || dst.Length < src.Length) {
			return fmt.Sprintf("length %s into %d", lengthWord(src.Length), dst.Length)
		}
	case convert.Timestamp, convert.TimestampTZ, convert.Time:
		if dst.Scale < src.Scale {
			return fmt.Sprintf("%d fractional-second digits into %d", src.Scale, dst.Scale)
		}
	}
	return ""
}

func bits(b int) int {
	if b == 0 {
		return 64
	}
	return b
}

func intDigits(t convert.Type) int {
	switch bits(t.Bits) {
	case 8:
		return 3
	case 16:
		return 5
	case 24:
		return 8
	case 32:
		return 10
	}
	return 19
}

func lengthWord(n int) string {
	if n == 0 {
		return "unbounded"
	}
	return fmt.Sprint(n)
}

func tzWord(k convert.Kind) string {
	if k == convert.TimestampTZ {
		return "taken as UTC"
	}
	return "dropped"
}
