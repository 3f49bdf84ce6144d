// Command journalgen writes a large, realistic journal for bench/journal.sh
// (see package journal/journalgen).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tightrope/tightrope/journal/journalgen"
)

func main() {
	var spec journalgen.Spec
	flag.IntVar(&spec.Events, "events", 1_000_000, "events in the journal")
	flag.IntVar(&spec.Steps, "steps", 1000, "runbook steps")
	flag.IntVar(&spec.Tables, "tables", 20, "copied tables")
	flag.IntVar(&spec.Rejects, "rejects", 100_000, "reject rows")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: journalgen [flags] JOURNAL")
		os.Exit(2)
	}
	start := time.Now()
	res, err := journalgen.Generate(context.Background(), flag.Arg(0), spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "journalgen:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d events (%d progress samples), %d reject rows, in %s\n",
		flag.Arg(0), res.Events, res.Progress, res.Rejects, time.Since(start).Round(time.Millisecond))
}
