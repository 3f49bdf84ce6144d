package fault

// The faults below are registered so that --list shows the whole plan,
// but this build does not inject them yet (Parse refuses them).
func init() {
	for _, k := range []Kind{
		{Name: "latency", Syntax: "latency:CONN:DELAY",
			Doc:     "Every round trip of connection CONN is delayed by DELAY (through tightrope's loopback relay), so the run overruns its expected time (overrun).",
			Engines: []string{"postgres", "mysql"}},
		{Name: "network-drop", Syntax: "network-drop:CONN@STEP:DURATION",
			Doc:     "A while into step STEP, every connection of CONN through the relay is reset and new ones are refused for DURATION.",
			Engines: []string{"postgres", "mysql"}},
		{Name: "network-blackhole", Syntax: "network-blackhole:CONN@STEP:DURATION",
			Doc:     "Like network-drop, but the relay silently stops passing bytes for DURATION: nothing errors, everything stalls.",
			Engines: []string{"postgres", "mysql"}},
		{Name: "kill", Syntax: "kill@STEP[:AFTER]",
			Doc:     "The drill's run process is killed AFTER into step STEP and resumed by the drill driver with tightrope resume, as an operator would.",
			Engines: []string{"sqlite", "postgres", "mysql"}},
	} {
		register(k)
	}
}
