// Package drill prepares and judges drills: it resolves a scenario or
// fault specs into faults, gives the runbook its drill connections (the
// runbook's drill: section, or throw-away clones), writes the drill's
// runbook with those connections only, and cleans the clones up after.
package drill

import (
	"fmt"
	"sort"
	"strings"
)

// Scenario is a named bundle of faults with the outcome a good drill
// reaches. The specs name the demo's tables and steps; on another runbook
// give the faults with --fault.
type Scenario struct {
	Name   string
	Doc    string
	Faults []string
	Expect string // continue | rollback
}

var scenarios = map[string]Scenario{}

func registerScenario(s Scenario) {
	if _, dup := scenarios[s.Name]; dup {
		panic("drill: scenario registered twice: " + s.Name)
	}
	scenarios[s.Name] = s
}

func init() {
	for _, s := range []Scenario{
		{Name: "na-ratings", Expect: "rollback", Faults: []string{"bad-rows:products.rating:8000:not-integer"},
			Doc: "8,000 'N/A' ratings going to an integer column — the rows a tool silently dropped. The copy must reject them, the reject rate trigger fire, and the rollback restore both sides."},
		{Name: "scale-8-prices", Expect: "rollback", Faults: []string{"bad-rows:products.price:12000:precision"},
			Doc: "12,000 prices with 8 decimals going into a 2-decimal column — silently rounded by a tool. The copy must reject them, not round them, and the rollback restore both sides."},
		{Name: "corrupt-snapshot", Expect: "rollback", Faults: []string{"corrupt-snapshot:snap-source", "bad-rows:products.rating:8000:not-integer"},
			Doc: "The shop's snapshot is damaged right after capture, then bad rows force a rollback: the restore must detect the damage before touching the data, fall back to the previous verified snapshot, or fail loudly."},
		{Name: "network-drop", Expect: "continue", Faults: []string{"network-drop:source@copy:10s:rows=1000"},
			Doc: "A 37-minute outage of the source compressed to 10 s mid-copy — right after the copy has committed 1,000 rows, however fast it runs: the copy retries and ends exact, or a trigger asks for a decision. Needs a server source (not the demo) and a copy of more than 1,000 rows."},
		{Name: "overrun-150", Expect: "rollback", Faults: []string{"latency:source:50ms"},
			Doc: "Every round trip to the source is slowed so the run passes 150% of its expected time: the overrun trigger must fire. Needs a server source (not the demo) and an overrun trigger."},
		{Name: "kill-mid-copy", Expect: "continue", Faults: []string{"kill@copy:rows=1000"},
			Doc: "The run's process is killed in the copy right after it has committed 1,000 rows (the demo copies 4,600), however fast it runs, and resumed, as an operator would: the resumed copy must end exact, no duplicates, no gaps."},
	} {
		registerScenario(s)
	}
}

// Scenarios lists the scenarios by name.
func Scenarios() []Scenario {
	out := make([]Scenario, 0, len(scenarios))
	for _, s := range scenarios {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupScenario finds a scenario by name.
func LookupScenario(name string) (Scenario, error) {
	s, ok := scenarios[name]
	if !ok {
		var names []string
		for _, s := range Scenarios() {
			names = append(names, s.Name)
		}
		return Scenario{}, fmt.Errorf("unknown scenario %q (known: %s; see tightrope drill --list)", name, strings.Join(names, ", "))
	}
	return s, nil
}
