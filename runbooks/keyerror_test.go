package runbooks

import "testing"

// TestStepAndKeyErrors: errors made after loading read like the loader's,
// with the source line and a caret.
func TestStepAndKeyErrors(t *testing.T) {
	text := "\ufeffversion: 1\r\nname: N\nmigration_id: M\ndecision_maker: alice\nstrategy: cdc\n" +
		"triggers:\n  cdc_lag: 30s\nsteps:\n  - { id: go, kind: gate, question: Go? }\n"
	rb, err := Parse("rb.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	l := ErrorList{
		rb.KeyError("triggers.cdc_lag", "lag"),
		rb.StepError(rb.Steps[0], "step"),
		rb.KeyError("strategy", "strategy"),
		rb.KeyError("version", "version"),
		rb.KeyError("nowhere", "nowhere"),
	}
	l.Sort()
	want := `rb.yaml:1:1: version
   1 | version: 1
     | ^^^^^^^
rb.yaml:1:1: nowhere
   1 | version: 1
     | ^
rb.yaml:5:1: strategy
   5 | strategy: cdc
     | ^^^^^^^^
rb.yaml:7:3: lag
   7 |   cdc_lag: 30s
     |   ^^^^^^^
rb.yaml:9:5: step
   9 |   - { id: go, kind: gate, question: Go? }
     |     ^`
	if got := l.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
