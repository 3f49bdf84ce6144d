package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tightrope/tightrope/journal"
	"github.com/tightrope/tightrope/runbooks"
)

// limitSpec is the new threshold a decision-maker may accept when
// continuing past a measured trigger: its unit from the trigger registry,
// and the observed value it may not be below. Values are in the engine's
// unit (engine.Command.Limit): a fraction, rows, or milliseconds. People
// type and read them as "8%", "12" rows and "45s".
type limitSpec struct {
	trigger  string
	unit     runbooks.Unit
	observed float64
}

// limitFor is the limit a trigger takes, or false when it takes none (a
// trigger without a number, like step_failed, or one this console does not
// know).
func limitFor(t *journal.TriggerPayload) (limitSpec, bool) {
	if t == nil {
		return limitSpec{}, false
	}
	switch spec, _ := runbooks.TriggerByName(t.Trigger); spec.Unit {
	case runbooks.UnitFraction, runbooks.UnitRows, runbooks.UnitMillis:
		return limitSpec{trigger: t.Trigger, unit: spec.Unit, observed: t.Observed}, true
	}
	return limitSpec{}, false // UnitNone, or a trigger this console does not know
}

// what names the threshold and its unit for the form's label.
func (l limitSpec) what() string {
	switch l.unit {
	case runbooks.UnitRows:
		return "rows that may differ"
	case runbooks.UnitMillis:
		return "lag as a duration"
	}
	if l.trigger == runbooks.TriggerOverrun {
		return "elapsed / expected in %"
	}
	return "reject rate in %"
}

// suggest is the prefilled value, in the user's unit: the observed count
// for mismatches (accept exactly these rows), otherwise the observed value
// with a fifth of headroom, rounded up to a round number ("6.5%" → "8%",
// "152%" → "200%", "37s" → "45s").
func (l limitSpec) suggest() string {
	switch l.unit {
	case runbooks.UnitRows:
		return l.format(math.Ceil(l.observed))
	case runbooks.UnitMillis:
		want := time.Duration(l.observed*1.2) * time.Millisecond
		for _, d := range niceDurations {
			if d >= want {
				return l.format(float64(d.Milliseconds()))
			}
		}
		return l.format(float64(want.Round(time.Hour).Milliseconds()))
	}
	return l.format(niceCeil(l.observed*100*1.2) / 100)
}

// niceDurations are the round durations a suggested lag limit snaps to.
var niceDurations = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second,
	30 * time.Second, 45 * time.Second, time.Minute, 90 * time.Second, 2 * time.Minute, 3 * time.Minute,
	5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute, 30 * time.Minute, 45 * time.Minute,
	time.Hour, 2 * time.Hour,
}

// niceCeil rounds x > 0 up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times
// a power of ten.
func niceCeil(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v := m * p; v >= x*(1-1e-12) {
			return v
		}
	}
	return 10 * p
}

// format prints an engine-unit value in the user's unit.
func (l limitSpec) format(v float64) string {
	switch l.unit {
	case runbooks.UnitRows:
		return strconv.FormatInt(int64(math.Ceil(v-1e-9)), 10)
	case runbooks.UnitMillis:
		d := time.Duration(math.Ceil(v-1e-9)) * time.Millisecond
		if d >= time.Second {
			d = d.Round(10 * time.Millisecond)
		}
		return fmtObjective(d)
	}
	return strconv.FormatFloat(sig4(v*100), 'f', -1, 64) + "%"
}

// sig4 rounds x up to four significant digits, so that a value shown as
// "at least 0.2126%" is accepted when typed back.
func sig4(x float64) float64 {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	step := math.Pow(10, math.Floor(math.Log10(x))-3)
	v := math.Ceil(x/step-1e-9) * step
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return r
}

// parse reads what was typed, in the user's unit, into the engine's unit.
// Empty is zero: acknowledge at the observed value. A value below the
// observed one is refused with the reason.
func (l limitSpec) parse(text string) (float64, error) {
	t := strings.TrimSpace(strings.ReplaceAll(text, ",", ""))
	if t == "" {
		return 0, nil
	}
	var v float64
	switch l.unit {
	case runbooks.UnitRows:
		t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(t, "rows"), "row"))
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("“%s” is not a number of rows (e.g. %s)", text, l.suggest())
		}
		v = float64(n)
	case runbooks.UnitMillis:
		if n, err := strconv.ParseFloat(t, 64); err == nil {
			t = strconv.FormatFloat(n, 'f', -1, 64) + "s" // a bare number is seconds
		}
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("“%s” is not a duration (e.g. %s)", text, l.suggest())
		}
		v = float64(d) / float64(time.Millisecond)
	default:
		t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
		n, err := strconv.ParseFloat(t, 64)
		if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) || strings.ContainsAny(t, "eE") {
			return 0, fmt.Errorf("“%s” is not a percentage (e.g. %s)", text, l.suggest())
		}
		v, _ = strconv.ParseFloat(t+"e-2", 64) // "0.3" → 0.003 exactly as typed, not 0.3/100
	}
	if v < l.observed*(1-1e-9) {
		least := l.format(l.observed)
		return 0, fmt.Errorf("%s is below the observed %s — the new limit must be at least %s (or empty: acknowledge at the observed value)",
			strings.TrimSpace(text), least, least)
	}
	return v, nil
}
