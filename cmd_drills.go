package main

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tightrope/tightrope/engine/drill/scorecard"
	"github.com/tightrope/tightrope/internal/safetext"
	"github.com/tightrope/tightrope/runbooks"
)

// drillsCmd prints the history of the drills found under a directory.
func drillsCmd() *cobra.Command {
	var format string
	var last int
	cmd := &cobra.Command{
		Use:   "drills [DIR | RUNBOOK]",
		Short: "The history of drills, oldest first: time to detect / decide / restore vs the RTO, and whether the last ones met it",
		Long: `The history of the drills found under DIR, or of a RUNBOOK's drills (the
drills directory beside it, where tightrope drill RUNBOOK writes them, only
that migration's), or with neither of the drills under ./drills (tightrope
drill RUNBOOK, for a runbook here) and ./tightrope-drills (tightrope drill
--demo).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{fmt.Errorf("give at most one directory")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if last < 1 {
				return usageError{fmt.Errorf("--last must be at least 1")}
			}
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			dirs, where, migration, err := drillsWhere(arg)
			if err != nil {
				return err
			}
			var entries []scorecard.Entry
			for _, d := range dirs {
				found, err := findDrills(d)
				if err != nil {
					return err
				}
				for _, e := range found {
					if migration == "" || e.MigrationID == migration {
						entries = append(entries, e)
					}
				}
			}
			hs := scorecard.Histories(entries, last)
			out := cmd.OutOrStdout()
			switch format {
			case "text":
				return drillsText(out, where, hs)
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(hs)
			case "html":
				return drillsHTML.Execute(out, hs)
			}
			return usageError{fmt.Errorf("--format must be text, json or html, not %q", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text | json | html")
	cmd.Flags().IntVar(&last, "last", 5, "how many of the latest drills that rolled back the consistency line judges")
	return cmd
}

// drillsWhere is where drills looks: DIR as given; for a RUNBOOK, the
// drills directory beside it and the runbook's migration id (the drills of
// other migrations there are left out); with nothing, whichever of
// ./drills and ./tightrope-drills exist — the defaults of drill RUNBOOK
// and drill --demo. where names them for the text.
func drillsWhere(arg string) (dirs []string, where, migration string, err error) {
	if arg == "" {
		for _, d := range []string{"drills", "tightrope-drills"} {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				dirs = append(dirs, d)
			}
		}
		return dirs, "drills or tightrope-drills", "", nil
	}
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, "", "", usageError{err}
	}
	if fi.IsDir() {
		return []string{arg}, arg, "", nil
	}
	rb, err := runbooks.Load(arg)
	if err != nil {
		return nil, "", "", usageError{fmt.Errorf("%s is neither a directory of drills nor a runbook: %w", arg, err)}
	}
	dir := filepath.Join(filepath.Dir(arg), "drills")
	where = dir + " for " + rb.MigrationID
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil, where, rb.MigrationID, nil
	}
	return []string{dir}, where, rb.MigrationID, nil
}

// findDrills scores every drill journal under dir; other journals are
// left out.
func findDrills(dir string) ([]scorecard.Entry, error) {
	var out []scorecard.Entry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".journal") {
			return nil
		}
		c, err := scorecard.FromJournal(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if c.Drill {
			out = append(out, scorecard.NewEntry(path, c))
		}
		return nil
	})
	return out, err
}

func drillsText(w io.Writer, dir string, hs []scorecard.History) error {
	if len(hs) == 0 {
		_, err := fmt.Fprintf(w, "no drill journals under %s\n", safetext.Line(dir))
		return err
	}
	for i, h := range hs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Drills of %s, oldest first\n", safetext.Line(h.MigrationID))
		fmt.Fprintf(w, "%-20s  %-18s  %9s  %9s  %9s  %8s  %-7s  %s\n", "date", "scenario", "detect", "decide", "restore", "RTO", "RTO met", "scorecard")
		for _, e := range h.Drills {
			sc := e.Scenario
			if sc == "" {
				sc = strings.Join(e.Faults, " ")
			}
			met := "-"
			if e.RolledBack {
				met = map[bool]string{true: "yes", false: "NO"}[e.RTOMet]
			}
			verdict := map[bool]string{true: "pass", false: "FAIL"}[e.Pass]
			fmt.Fprintf(w, "%-20s  %-18s  %9s  %9s  %9s  %8s  %-7s  %s\n", e.StartedAt.UTC().Format("2006-01-02 15:04:05"), safetext.Line(sc),
				msOrDash(e.DetectMS), msOrDash(e.DecideMS), msOrDash(e.RestoreMS), (time.Duration(e.RTOMS) * time.Millisecond).String(), met, verdict)
		}
		fmt.Fprintln(w, h.Consistency)
	}
	return nil
}

func msOrDash(p *int64) string {
	if p == nil {
		return "-"
	}
	return (time.Duration(*p) * time.Millisecond).Round(time.Millisecond).String()
}

var drillsHTML = template.Must(template.New("drills").Funcs(template.FuncMap{
	"ms":   msOrDash,
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"rto":  func(n int64) string { return (time.Duration(n) * time.Millisecond).String() },
	"join": func(s []string) string { return strings.Join(s, " ") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Drill history</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.bad{color:#b00;font-weight:bold}</style>
</head><body>
{{range .}}<h1>Drills of {{.MigrationID}}</h1>
<table><thead><tr><th>date</th><th>scenario</th><th>time to detect</th><th>time to decide</th><th>time to restore</th><th>RTO</th><th>RTO met</th><th>scorecard</th></tr></thead><tbody>
{{range .Drills}}<tr><td>{{when .StartedAt}}</td><td>{{if .Scenario}}{{.Scenario}}{{else}}{{join .Faults}}{{end}}</td><td>{{ms .DetectMS}}</td><td>{{ms .DecideMS}}</td><td>{{ms .RestoreMS}}</td><td>{{rto .RTOMS}}</td><td>{{if .RolledBack}}{{if .RTOMet}}yes{{else}}<span class="bad">no</span>{{end}}{{else}}-{{end}}</td><td>{{if .Pass}}pass{{else}}<span class="bad">FAIL</span>{{end}}</td></tr>
{{end}}</tbody></table>
<p>{{.Consistency}}</p>
{{else}}<p>No drill journals.</p>{{end}}
</body></html>
`))
