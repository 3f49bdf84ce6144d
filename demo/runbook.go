package demo

import (
	"bytes"
	"fmt"

	"github.com/tightrope/tightrope/runbooks/examples"
)

// Runbook returns the demo runbook with decisionMaker in place of "you".
func Runbook(decisionMaker string) []byte {
	return bytes.Replace(examples.Demo, []byte("decision_maker: you\n"), fmt.Appendf(nil, "decision_maker: %q\n", decisionMaker), 1)
}
