package fault

// The faults below are registered so that --list shows the whole plan,
// but this build does not inject them yet (Parse refuses them).
func init() {
	for _, k := range []Kind{
		{Name: "kill", Syntax: "kill@STEP[:AFTER]",
			Doc:     "The drill's run process is killed AFTER into step STEP and resumed by the drill driver with tightrope resume, as an operator would.",
			Engines: []string{"sqlite", "postgres", "mysql"}},
	} {
		register(k)
	}
}
