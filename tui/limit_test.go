package tui

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

func TestLimitInTheTriggersUnit(t *testing.T) {
	cases := []struct {
		trigger  string
		observed float64 // engine unit
		suggest  string
		typed    string
		want     float64 // engine unit: fraction, rows, milliseconds
	}{
		{"reject_rate", 0.065, "8%", "8%", 0.08},
		{"reject_rate", 0.065, "8%", " 6.5 % ", 0.065},
		{"reject_rate", 0.002125, "0.3%", "0.25", 0.0025},
		{"overrun", 1.52, "200%", "200%", 2},
		{"overrun", 1.52, "200%", "175", 1.75},
		{"verify_mismatch", 12, "12", "12", 12},
		{"verify_mismatch", 12, "12", "1,200 rows", 1200},
		{"cdc_lag", 37000, "45s", "45s", 45000},
		{"cdc_lag", 37000, "45s", "1m30s", 90000},
		{"cdc_lag", 37000, "45s", "40", 40000}, // a bare number is seconds
		{"cdc_lag", 100 * 60000, "2h", "2h", 7200000},
	}
	for _, c := range cases {
		l, ok := limitFor(&journal.TriggerPayload{Trigger: c.trigger, Observed: c.observed})
		if !ok {
			t.Fatalf("%s takes no limit", c.trigger)
		}
		if got := l.suggest(); got != c.suggest {
			t.Errorf("%s observed %g: suggested %q, want %q", c.trigger, c.observed, got, c.suggest)
		}
		if v, err := l.parse(l.suggest()); err != nil || v < c.observed {
			t.Errorf("%s: the suggestion %q is refused or below the observed value: %v, %v", c.trigger, l.suggest(), v, err)
		}
		got, err := l.parse(c.typed)
		if err != nil || got != c.want {
			t.Errorf("%s: parse(%q) = %v, %v; want %v", c.trigger, c.typed, got, err, c.want)
		}
		if v, err := l.parse(""); err != nil || v != 0 {
			t.Errorf("%s: empty = %v, %v; want 0 (acknowledge at the observed value)", c.trigger, v, err)
		}
	}
}

func TestLimitRefusals(t *testing.T) {
	cases := []struct {
		trigger  string
		observed float64
		typed    string
		want     string
	}{
		{"reject_rate", 0.065, "5%", "5% is below the observed 6.5% — the new limit must be at least 6.5%"},
		{"reject_rate", 0.002125, "0.2%", "below the observed 0.2125%"},
		{"reject_rate", 0.065, "-1%", "is not a percentage"},
		{"reject_rate", 0.065, "1e3", "is not a percentage"},
		{"overrun", 1.52, "150%", "150% is below the observed 152%"},
		{"verify_mismatch", 12, "11", "11 is below the observed 12"},
		{"verify_mismatch", 12, "a dozen", "is not a number of rows"},
		{"cdc_lag", 37000, "30s", "30s is below the observed 37s"},
		{"cdc_lag", 37000, "soon", "is not a duration (e.g. 45s)"},
	}
	for _, c := range cases {
		l, _ := limitFor(&journal.TriggerPayload{Trigger: c.trigger, Observed: c.observed})
		_, err := l.parse(c.typed)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: parse(%q) = %v, want an error with %q", c.trigger, c.typed, err, c.want)
		}
	}
	// The observed value itself, as shown, is accepted.
	l, _ := limitFor(&journal.TriggerPayload{Trigger: "reject_rate", Observed: 0.0021254})
	if _, err := l.parse(l.format(l.observed)); err != nil {
		t.Errorf("the observed value as shown (%s) is refused: %v", l.format(l.observed), err)
	}
	for _, tr := range []string{"step_failed", "something_new", ""} {
		if _, ok := limitFor(&journal.TriggerPayload{Trigger: tr}); ok {
			t.Errorf("%q takes a limit", tr)
		}
	}
}
