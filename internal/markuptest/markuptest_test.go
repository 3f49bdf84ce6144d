package markuptest

import (
	"runtime"
	"testing"
)

// recorder is a testing.TB that records a failure and stops its
// goroutine, as a failed test does.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}

// TestWellFormed: a page that parses passes; an unclosed tag, a stray
// closing tag, an unknown entity and a raw "<" each fail.
func TestWellFormed(t *testing.T) {
	for page, ok := range map[string]bool{
		"<html><body><p>a &amp; b</p></body></html>": true,
		"<html><body><p>open</body></html>":          false,
		"<html><body></p></body></html>":             false,
		"<html>&nbsp;</html>":                        false,
		"<html>a < b</html>":                         false,
		"<html><body>":                               false,
	} {
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			WellFormed(r, page)
		}()
		<-done
		if r.failed == ok {
			t.Errorf("%q: failed %v, want %v", page, r.failed, !ok)
		}
	}
}
