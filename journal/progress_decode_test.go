package journal

import (
	"encoding/json"
	"reflect"
	"testing"
)

// progressInputs are canonical samples and every way off the fast path.
var progressInputs = []string{
	`{"bytes":0,"elapsed_ms":0,"read":10,"rejected":1,"table":"orders","total":0,"total_exact":false,"written":9}`,
	`{"bytes":9223372036854775807,"elapsed_ms":-9223372036854775808,"read":-0,"rejected":1,"table":"","total":5,"total_exact":true,"written":9}`,
	`{}`, `{"table":"t"}`, `{"read":1}`,
	`{"read":9223372036854775808}`,  // overflow: json's error
	`{"read":-9223372036854775809}`, // overflow
	`{"read":18446744073709551616}`, // overflow past uint64
	`{"read":1.5}`, `{"read":1e3}`,  // not integers
	`{"read":01}`, `{"read":-}`, // not JSON
	`{"read":null}`, `{"table":null}`, // null leaves the zero value
	`{"read":1,"read":2}`,               // repeated key: the last wins
	`{"table":"a\"b"}`, `{"table":"é"}`, // escapes and non-ASCII
	`{"table":"a` + "\x01" + `"}`, // control character: an error
	`{"table":"\xff"}`,            // invalid UTF-8: replaced
	`{"other":1,"read":2}`,        // an unknown key is ignored
	`{ "read": 1 }`, `{"read":1,}`, `{"read":1}x`, `[1]`, `"x"`, ``, `{`,
	`{"total_exact":tru}`, `{"total_exact":"true"}`, `{"read":"1"}`, `{"table":1}`,
	`{"Read":3}`, // json matches keys case-insensitively
}

func TestProgressDecodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range progressInputs {
		checkProgressDecode(t, in)
	}
}

func FuzzProgressDecode(f *testing.F) {
	for _, in := range progressInputs {
		f.Add(in)
	}
	f.Fuzz(checkProgressDecode)
}

// checkProgressDecode fails when Decode of a progress payload differs from
// json.Unmarshal in value or in succeeding.
func checkProgressDecode(t *testing.T, in string) {
	var want ProgressPayload
	wantErr := json.Unmarshal([]byte(in), &want)
	got, err := Decode(Event{Seq: 7, Type: Progress, Payload: json.RawMessage(in)})
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: Decode error %v, json.Unmarshal error %v", in, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: Decode = %+v, json.Unmarshal = %+v", in, got, want)
	}
	if _, fast := fastProgress([]byte(in)); fast && wantErr != nil {
		t.Fatalf("%q: the fast path accepted what json refuses", in)
	}
}

// A canonical progress payload (most of a long journal) decodes with one
// allocation: its table name. The keys are compared where they lie.
func TestFastProgressAllocatesOnlyTheTableName(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts differ under the race detector")
	}
	in := []byte(progressInputs[0])
	n := testing.AllocsPerRun(100, func() {
		if _, ok := fastProgress(in); !ok {
			t.Fatal("the canonical sample left the fast path")
		}
	})
	if n > 1 {
		t.Errorf("%v allocations decoding %s, want 1 (the table name)", n, in)
	}
}
