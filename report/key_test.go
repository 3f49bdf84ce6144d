package report

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/tightrope/tightrope/journal"
)

var reportKey = []byte("report test journal key, 32 byte")

// TestHeadAndCountInEveryFormat: the head hash and the event count, the
// witness to compare with a copy kept elsewhere, are in all three formats,
// keyed or not.
func TestHeadAndCountInEveryFormat(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		var opts []journal.Option
		if keyed {
			opts = append(opts, journal.WithKey(reportKey))
		}
		path := writeGoldenRun(t, true, opts...)
		vr, err := journal.Verify(path, opts...)
		if err != nil || !vr.OK() {
			t.Fatalf("keyed=%v: Verify = %+v, %v", keyed, vr, err)
		}
		r, err := Build(path, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if r.Integrity.Untrusted || r.Integrity.Head != vr.Head || r.Integrity.Events != vr.Events {
			t.Fatalf("keyed=%v: integrity %+v, want trusted, head %s, %d events", keyed, r.Integrity, vr.Head, vr.Events)
		}
		out := render(t, r)
		count := strconv.FormatInt(vr.Events, 10)
		for _, f := range Formats {
			if !strings.Contains(out[f], vr.Head) || !strings.Contains(out[f], count+" events") && !strings.Contains(out[f], `"events": `+count) {
				t.Errorf("keyed=%v: %s lacks the head %s or the count %s", keyed, f, vr.Head, count)
			}
		}
		if keyed {
			id := journal.KeyID(reportKey)
			if !strings.Contains(out["md"], "hmac-sha256 chain checked with key `"+id+"`, head seal matches") {
				t.Errorf("markdown does not say the chain was checked with the key")
			}
			if !strings.Contains(out["json"], `"chain": "hmac-sha256"`) || !strings.Contains(out["json"], `"key_checked": true`) {
				t.Errorf("json does not say the chain was checked with the key")
			}
		} else if !strings.Contains(out["json"], `"chain": "sha256"`) || strings.Contains(out["md"], "journal key") {
			t.Errorf("an unkeyed journal's report changed: json chain or a key row")
		}
	}
}

// TestKeyedJournalWithoutKeyIsUntrusted: a keyed journal reported without
// its key is marked untrusted, and says how to give the key.
func TestKeyedJournalWithoutKeyIsUntrusted(t *testing.T) {
	path := writeGoldenRun(t, true, journal.WithKey(reportKey))
	r, err := Build(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Integrity.Untrusted || !strings.Contains(r.Integrity.KeyProblem, "give its key") {
		t.Fatalf("integrity %+v, want untrusted asking for the key", r.Integrity)
	}
	out := render(t, r)
	head := strings.SplitN(out["md"], "\n## ", 2)[0]
	if !strings.Contains(head, "UNTRUSTED: the journal was not verified with its key") {
		t.Errorf("the markdown does not open with the key banner:\n%s", head)
	}
	if !strings.Contains(out["html"], "not verified with its key") || !strings.Contains(out["json"], `"key_problem": "this journal`) {
		t.Errorf("html or json does not name the key problem")
	}
}

// TestKeyedJournalCutIsUntrusted: run_finished cut from a keyed journal is
// reported, in all three formats.
func TestKeyedJournalCutIsUntrusted(t *testing.T) {
	path := writeGoldenRun(t, true, journal.WithKey(reportKey))
	d, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER events_no_delete`, `DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)`} {
		if _, err := d.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = d.Close()
	r, err := Build(path, journal.WithKey(reportKey))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Integrity.Untrusted || !strings.Contains(r.Integrity.Truncated, "events were cut from its end") || r.Summary.Finished {
		t.Fatalf("integrity %+v, want untrusted and truncated", r.Integrity)
	}
	out := render(t, r)
	for _, f := range Formats {
		if !strings.Contains(out[f], "events were cut from its end") {
			t.Errorf("%s does not report the cut", f)
		}
	}
	if !strings.Contains(strings.SplitN(out["md"], "\n## ", 2)[0], "UNTRUSTED: the journal was cut") {
		t.Errorf("markdown has no cut banner")
	}
}
