package plan

import (
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/tightrope/tightrope/internal/safetext"
)

// HTML writes the document as one self-contained HTML page (inline style,
// no external asset); html/template escapes every text, after safetext has
// made terminal controls visible. The page is also well-formed XML.
func (d Document) HTML(w io.Writer) error { return planHTML.Execute(w, d) }

var planHTML = template.Must(template.New("plan").Funcs(template.FuncMap{
	"t":     safetext.Line,
	"list":  func(s string) []string { return []string{s} },
	"lines": func(lines []string) string { return safetext.Text(strings.Join(lines, "\n")) },
	"join":  func(s []string) string { return safetext.Line(strings.Join(s, ", ")) },
	"ms":    msWords,
	"rto":   func(n int64) string { return (time.Duration(n) * time.Millisecond).String() },
	"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"scenario": func(sc string, faults []string) string {
		if sc == "" {
			sc = strings.Join(faults, " ")
		}
		return safetext.Line(sc)
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>Migration plan: {{t .Name}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;line-height:1.45;color:#222}
h1{border-bottom:2px solid #333}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
pre{background:#f4f4f4;padding:.6em;overflow-x:auto;white-space:pre-wrap}
.facts{color:#555}.bad{color:#b00;font-weight:bold}.step{margin-left:.5em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
</style></head><body>
<h1>Migration plan: {{t .Name}}</h1>
<p class="facts">Migration {{t .MigrationID}} · runbook {{t .Path}} · sha256 <code>{{.SHA256}}</code></p>
<h2>Objectives</h2>
<ul>{{range .Objectives}}<li>{{t .}}</li>{{end}}{{if .PlannedTotal}}<li>The steps' expected durations add up to {{t .PlannedTotal}}.</li>{{end}}</ul>
<h2>Strategy: {{t .Strategy}}</h2>
<p>{{t .StrategyWhy}}</p>
<h2>Who decides</h2>
<p><strong>{{t .DecisionMaker}}</strong> is the decision-maker: the only person who answers the go / no-go gates and the rollback triggers.</p>
{{if .Notify}}<p>How the room is told:</p><ul>{{range .Notify}}<li>{{t .}}</li>{{end}}</ul>{{else}}<p>The runbook has no notification plan.</p>{{end}}
{{if .Connections}}<h2>Databases</h2><ul>{{range .Connections}}<li>{{t .}}</li>{{end}}</ul>{{end}}
<h2>Rollback triggers</h2>
{{if .Triggers}}<ul>{{range .Triggers}}<li>{{t .}}</li>{{end}}</ul>{{else}}<p>No trigger is watched.</p>{{end}}
<h2>Steps</h2>
{{template "steps" .Steps}}
<h2>Rollback procedure</h2>
{{if .Rollback}}{{template "steps" .Rollback}}{{else}}<p class="bad">The runbook has no rollback procedure.</p>{{end}}
{{if .RestoreTime}}<p><strong>Restore time:</strong> {{t .RestoreTime}}</p>{{end}}
{{with .Assessment}}{{if .RestorePredicted}}<p><strong>Predicted restore time:</strong> {{t .RestorePredicted}}</p>{{end}}{{end}}
<h2>Assessment</h2>
{{with .Assessment}}<p class="facts">From {{t .Journal}}, {{when .At}}: {{if .Blocked}}<span class="bad">{{t .Verdict}}</span>{{else}}{{t .Verdict}}{{end}}.</p>
{{if .Stale}}<p class="bad">{{t .Stale}}</p>{{end}}
{{if .Sample}}<p>Read from a sample ({{t .Sample}}): the counts are estimates.</p>{{end}}
{{if .Rejects}}<h3>Predicted rejects</h3>
<table id="predicted-rejects"><thead><tr><th>step</th><th>table</th><th>column</th><th>reason</th><th>predicted</th><th>of rows</th><th>example</th></tr></thead><tbody>
{{range .Rejects}}<tr><td>{{t .Step}}</td><td>{{t .Table}}</td><td>{{t .Column}}</td><td>{{t .Reason}}</td><td>{{if .Estimate}}about {{end}}{{.Predicted}}</td><td>{{.Rows}}</td><td><code>{{t .Example}}</code></td></tr>
{{end}}</tbody></table>{{end}}
{{if .Copies}}<h3>Predicted durations</h3><ul>{{range .Copies}}<li>{{t .}}</li>{{end}}</ul>{{end}}
{{if .Restores}}<h3>Snapshots and restore times</h3><ul>{{range .Restores}}<li>{{t .}}</li>{{end}}</ul>{{end}}
{{if .Blockers}}<h3>Blockers</h3><ul class="blockers">{{range .Blockers}}<li class="bad">{{t .}}</li>{{end}}</ul>{{end}}
{{if .Warnings}}<h3>Warnings</h3><ul class="warnings">{{range .Warnings}}<li>{{t .}}</li>{{end}}</ul>{{end}}
{{if .Notes}}<h3>Notes</h3><ul class="notes">{{range .Notes}}<li>{{t .}}</li>{{end}}</ul>{{end}}
{{else}}<p>No assessment was given (tightrope assess RUNBOOK, then tightrope plan RUNBOOK --assessment JOURNAL).</p>{{end}}
<h2>Drill history</h2>
{{range .Drills}}<table><thead><tr><th>date</th><th>scenario</th><th>time to restore</th><th>RTO</th><th>RTO met</th><th>scorecard</th></tr></thead><tbody>
{{range .Drills}}<tr><td>{{when .StartedAt}}</td><td>{{scenario .Scenario .Faults}}</td><td>{{ms .RestoreMS}}</td><td>{{rto .RTOMS}}</td><td>{{if .RolledBack}}{{if .RTOMet}}yes{{else}}<span class="bad">no</span>{{end}}{{else}}-{{end}}</td><td>{{if .Pass}}pass{{else}}<span class="bad">FAIL</span>{{end}}</td></tr>
{{end}}</tbody></table>
<p>{{t .Consistency}}</p>
{{else}}<p class="bad">No drill journals were found: the rollback has not been rehearsed with tightrope drill.</p>{{end}}
{{if .DryRun}}<h2>Exact commands (tightrope run --dry-run)</h2>
<pre>{{lines (list .DryRun)}}</pre>{{end}}
<h2>Approvals</h2>
{{if .Required}}<p>Required before the run may start: {{join .Required}}.</p>{{end}}
{{if .Approvals}}<ul>{{range .Approvals}}<li>approved by {{t .Name}} at {{when .At}}</li>{{end}}</ul>{{else}}<p>Nobody has approved this runbook text yet (tightrope plan RUNBOOK --approve --as NAME).</p>{{end}}
{{if .Missing}}<p class="bad">Missing: {{join .Missing}}.</p>{{end}}
</body></html>
{{define "steps"}}{{range .}}<div class="step"><h3>{{.N}}. {{t .Title}} (<code>{{t .ID}}</code>, {{t .Kind}})</h3>
<p class="facts">{{if .Owner}}owner: {{t .Owner}} {{end}}{{if .Expected}}· expected: {{t .Expected}} {{end}}{{if .OnFailure}}· {{t .OnFailure}}{{end}}</p>
<p>{{t .What}}</p>
{{if .Instructions}}<p>{{t .Instructions}}</p>{{end}}
{{if .Checklist}}<ul>{{range .Checklist}}<li>&#9744; {{t .}}</li>{{end}}</ul>{{end}}
{{if .Commands}}<pre>{{lines .Commands}}</pre>{{end}}
</div>
{{end}}{{end}}`))
