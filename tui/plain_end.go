package tui

import (
	"strings"

	"github.com/tightrope/tightrope/journal"
)

// endWord is how plain output names the end a run came to, in capitals
// so that it stands out at the bottom of a log: FINISHED, ROLLED BACK,
// FAILED, ABORTED (an outcome this build does not know, as written).
func endWord(outcome string) string {
	switch outcome {
	case journal.OutcomeFinished:
		return "FINISHED"
	case journal.OutcomeRolledBack:
		return "ROLLED BACK"
	case journal.OutcomeFailed:
		return "FAILED"
	case journal.OutcomeAborted:
		return "ABORTED"
	}
	return strings.ToUpper(strings.ReplaceAll(outcome, "_", " "))
}
