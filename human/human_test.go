package human

import (
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Int(1234567), "1,234,567"}, {Int(-1000), "-1,000"}, {Int(12), "12"},
		{Objective(45 * time.Minute), "45m"}, {Objective(4 * time.Hour), "4h"},
		{Objective(90 * time.Minute), "1h30m"}, {Objective(30 * time.Second), "30s"},
		{Objective(10 * time.Second), "10s"}, {Objective(0), "0s"},
		{Pct(0.001), "0.100%"}, {Pct(0.065), "6.50%"}, {Pct(0.42), "42.0%"},
		{Dur(18 * time.Millisecond), "18ms"}, {Dur(4200 * time.Millisecond), "4.2s"},
		{Dur(185 * time.Second), "3m05s"}, {Trigger("reject_rate", 0.065), "6.50%"},
		{Trigger("cdc_lag", 45000), "45s"}, {Trigger("verify_mismatch", 12), "12"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
