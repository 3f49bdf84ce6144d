package report

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tightrope/tightrope/journal"
)

// TestUnreadableJournalIsNotSaidToVerify: a journal file cut short (a
// disk filled, a copy interrupted) cannot be read; the report's error
// says so and never that the journal verified ("OK: 0 events").
func TestUnreadableJournalIsNotSaidToVerify(t *testing.T) {
	h := newHandJournal(t)
	for i := range 200 {
		h.at(time.Duration(i)*time.Second, "alice", "", journal.Note, journal.NotePayload{Text: strings.Repeat("note ", 40)})
	}
	h.close()
	if err := os.Truncate(h.path, 8192); err != nil {
		t.Fatal(err)
	}
	_, err := Build(h.path)
	if err == nil {
		t.Fatal("a journal cut to 8 KiB built a report")
	}
	if strings.Contains(err.Error(), "OK") {
		t.Fatalf("the error of an unreadable journal says it verified: %v", err)
	}
}
