package runbooks

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// section returns the text of docs/RUNBOOK.md from the heading to the
// next heading of the same or a higher level ("" when there is none).
func section(doc, heading string) string {
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		return ""
	}
	level := strings.Count(strings.Fields(heading)[0], "#")
	rest := doc[i+len(heading)+2:]
	for _, line := range strings.SplitAfter(rest, "\n") {
		if h := strings.Fields(line); len(h) > 0 && strings.Trim(h[0], "#") == "" && len(h[0]) <= level {
			return rest[:strings.Index(rest, line)]
		}
	}
	return rest
}

// TestRunbookReferenceIsComplete: docs/RUNBOOK.md has a section for every
// registered step kind naming every key of the kind, with an example
// using the kind; names every key every step takes, every trigger, and the
// keys of objectives, connections, notify and casts — so it cannot fall
// behind the registries.
func TestRunbookReferenceIsComplete(t *testing.T) {
	b, err := os.ReadFile("../docs/RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range kindSpecs {
		sec := section(doc, "### `"+k.name+"`")
		if sec == "" {
			t.Errorf("no section ### `%s`", k.name)
			continue
		}
		for _, key := range k.keys {
			if !strings.Contains(sec, "| `"+key+"` |") {
				t.Errorf("section %s does not document key %s", k.name, key)
			}
		}
		if !strings.Contains(sec, "```yaml") || !strings.Contains(sec, "kind: "+k.name) {
			t.Errorf("section %s has no example using the kind", k.name)
		}
	}
	for _, c := range []struct {
		heading string
		keys    []string
	}{
		{"### Keys of every step", commonStepKeys},
		{"## Top level", topKeys},
		{"## Objectives", objectiveKeys},
		{"## Connections", connectionKeys},
		{"## Notify", notifyKeys},
		{"## Triggers", triggerNames()},
		{"#### How `casts` match", castKeys},
	} {
		sec := section(doc, c.heading)
		if sec == "" {
			t.Errorf("no section %s", c.heading)
			continue
		}
		for _, key := range c.keys {
			if !strings.Contains(sec, "`"+key+"`") {
				t.Errorf("section %s does not mention %s", c.heading, key)
			}
		}
		if !strings.Contains(sec, "```yaml") {
			t.Errorf("section %s has no example", c.heading)
		}
	}
	if !strings.Contains(doc, SchemaComment) {
		t.Errorf("the reference does not show the editor line %q", SchemaComment)
	}
	if got := slices.Collect(func(yield func(string) bool) {
		for _, line := range strings.Split(doc, "\n") {
			if name, ok := strings.CutPrefix(line, "### `"); ok && !yield(strings.TrimSuffix(name, "`")) {
				return
			}
		}
	}); !slices.Equal(got, Kinds()) {
		t.Errorf("kind sections %v, registry order %v", got, Kinds())
	}
}
