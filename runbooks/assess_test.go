package runbooks

import (
	"strings"
	"testing"
)

const assessHeader = `version: 1
name: Assess
migration_id: MIG-ASSESS
decision_maker: alice
connections:
  source: { driver: sqlite, path: a.db }
  target: { driver: sqlite, path: b.db }
`

// TestAssessStep: an assess step reads its sample; a sample that is
// neither rows nor a percentage is an error at its line; the assessment
// trigger is watched unless the runbook turns it off.
func TestAssessStep(t *testing.T) {
	rb, err := Parse("rb.yaml", []byte(assessHeader+"steps:\n  - { id: assess, kind: assess, sample: 10% }\n  - { id: copy, kind: copy, tables: all }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := rb.StepByID("assess"); st.Sample != "10%" || st.HasSideEffects() {
		t.Errorf("assess step %+v", st)
	}
	if _, watched := rb.Triggers.Threshold(TriggerAssessment); !watched {
		t.Error("the assessment trigger is not watched by default")
	}
	if st, _ := rb.StepByID("assess"); st.MeasureWrite {
		t.Error("an assess step measures the write rate without measure_write")
	}
	rb, err = Parse("rb.yaml", []byte(assessHeader+"steps:\n  - { id: assess, kind: assess, measure_write: true }\n"))
	if st, _ := rb.StepByID("assess"); err != nil || !st.MeasureWrite {
		t.Errorf("measure_write: true not read: %v %+v", err, st)
	}
	for _, bad := range []string{"ten", "0", "10%%", "-5"} {
		_, err := Parse("rb.yaml", []byte(assessHeader+"steps:\n  - { id: assess, kind: assess, sample: \""+bad+"\" }\n"))
		if err == nil || !strings.Contains(err.Error(), "rb.yaml:9:") || !strings.Contains(err.Error(), "sample must be") {
			t.Errorf("sample %q: %v", bad, err)
		}
	}
	rb, err = Parse("rb.yaml", []byte(assessHeader+"triggers: { assessment: false }\nsteps:\n  - { id: assess, kind: assess }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, watched := rb.Triggers.Threshold(TriggerAssessment); watched {
		t.Error("assessment: false still watches the trigger")
	}
}
