package report

import (
	"html/template"
	"io"
	"strings"

	"github.com/tightrope/tightrope/internal/safetext"
)

// HTML writes the report as one self-contained HTML file: inline CSS, no
// script, no external resource. html/template escapes every text, so a
// note holding markup is shown, never run. The markup is also well-formed
// XML (every element closed), which the tests check.
// Control characters (escape sequences from a runbook, a command, an error)
// are shown as escapes (safetext), for a browser and for a terminal alike.
func HTML(w io.Writer, r *Report) error {
	var buf strings.Builder
	if err := htmlTemplate.Execute(&buf, view(r)); err != nil {
		return err
	}
	_, err := io.WriteString(w, safetext.Text(buf.String()))
	return err
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"mod": func(i int) int { return i % 2 }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #d0d7de; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
table { border-collapse: collapse; margin: .4rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr:nth-child(even) td { background: #fbfcfd; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #eff1f3; padding: 0 .25rem; border-radius: 3px; word-break: break-all; }
.bad { color: #b42318; }
.banner { border: 3px solid #b42318; background: #fef3f2; color: #7a271a; padding: .8rem 1rem; margin: 1rem 0 1.5rem; border-radius: 6px; }
.banner p { margin: .3rem 0; }
.banner p.head { font-size: 1.15rem; font-weight: 700; }
.chart { max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
.chart .plan { fill: #d0d7de; } .chart .act { fill: #0969da; } .chart .act.late { fill: #b42318; } .chart .act.proj { fill-opacity: .45; }
.chart line { stroke-width: 1.5; } .chart .expected { stroke: #1a7f37; } .chart .overrun { stroke: #bc4c00; stroke-dasharray: 4 3; }
.chart .fired { stroke: #b42318; } .chart .window { stroke: #1f2328; stroke-dasharray: 2 2; } .chart .axis { stroke: #d0d7de; }
.chart text.mark { fill: #57606a; }
footer { margin-top: 2.5rem; color: #656d76; font-size: 12px; border-top: 1px solid #d0d7de; padding-top: .5rem; }
@media print { body { margin: 0; max-width: none; } .banner { break-inside: avoid; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{- if .Banner}}
<div class="banner" role="alert">
{{- range $i, $line := .Banner}}
<p{{if eq $i 0}} class="head"{{end}}>{{if eq $i 0}}⚠ {{end}}{{$line}}</p>
{{- end}}
</div>
{{- end}}
{{- range .Sections}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{- range .Blocks}}
{{- if .Heading}}
<h3>{{.Heading}}</h3>
{{- else if .Chart}}
{{template "chart" .Chart}}
{{- else if .LagChart}}
{{template "lagchart" .LagChart}}
{{- else if .Table}}
<table>
<thead><tr>{{range .Table.Head}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Table.Rows}}
<tr>{{range .}}<td>{{template "spans" .}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{- else if .List}}
<ul>
{{- range .List}}
<li>{{template "spans" .}}</li>
{{- end}}
</ul>
{{- else}}
<p>{{template "spans" .Para}}</p>
{{- end}}
{{- end}}
</section>
{{- end}}
<footer>{{.Footer}}</footer>
</body>
</html>
{{define "chart"}}<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="planned versus actual" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
{{- range .Rows}}
<g><title>{{.Tip}}</title><text x="0" y="{{.TextY}}">{{.Label}}</text>
{{- if .HasPlan}}<rect class="plan" x="{{.PlanX}}" y="{{.Y}}" width="{{.PlanW}}" height="9"/>{{end}}
{{- if .HasBars}}<rect class="act{{if .Late}} late{{end}}{{if .Projected}} proj{{end}}" x="{{.ActX}}" y="{{.ActY}}" width="{{.ActW}}" height="9"/>{{end}}</g>
{{- end}}
{{- range $i, $m := .Marks}}
<line class="{{$m.Class}}" x1="{{$m.X}}" x2="{{$m.X}}" y1="14" y2="{{$.Height}}"/><text class="mark" x="{{$m.X}}" y="{{if eq (mod $i) 0}}10{{else}}20{{end}}" text-anchor="middle">{{$m.Label}}</text>
{{- end}}
{{- range .Ticks}}
<text class="mark" x="{{.X}}" y="{{$.Height}}" dy="-2" text-anchor="middle">{{.Label}}</text>
{{- end}}
</svg>{{end}}
{{define "lagchart"}}<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{.Label}}" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}">
<line class="axis" x1="{{.PlotX}}" x2="{{.PlotX}}" y1="{{.PlotY}}" y2="{{.PlotB}}"/><line class="axis" x1="{{.PlotX}}" x2="{{.Width}}" y1="{{.PlotB}}" y2="{{.PlotB}}"/>
{{- range .YTicks}}
<text class="mark" x="{{$.PlotX}}" y="{{.X}}" dx="-4" dy="4" text-anchor="end">{{.Label}}</text>
{{- end}}
{{- with .Threshold}}
<line class="overrun" x1="{{$.PlotX}}" x2="{{$.Width}}" y1="{{.X}}" y2="{{.X}}"/><text class="mark" x="{{$.Width}}" y="{{.X}}" dy="-3" text-anchor="end">{{.Label}}</text>
{{- end}}
<polyline points="{{.Points}}" fill="none" stroke="#0969da" stroke-width="1.5"/>
<circle cx="{{.PeakX}}" cy="{{.PeakY}}" r="3.5" fill="none" stroke="#b42318"><title>{{.PeakTip}}</title></circle>
{{- range $i, $m := .Fired}}
<line class="fired" x1="{{$m.X}}" x2="{{$m.X}}" y1="14" y2="{{$.PlotB}}"/><text class="mark" x="{{$m.X}}" y="{{if eq (mod $i) 0}}10{{else}}20{{end}}" text-anchor="middle">{{$m.Label}}</text>
{{- end}}
{{- range .XTicks}}
<text class="mark" x="{{.X}}" y="{{$.Height}}" dy="-4" text-anchor="middle">{{.Label}}</text>
{{- end}}
</svg>{{end -}}
{{define "spans"}}{{range .}}{{if .Code}}<code>{{.Text}}</code>{{else if .Bad}}<strong class="bad">{{.Text}}</strong>{{else if .Strong}}<strong>{{.Text}}</strong>{{else}}{{.Text}}{{end}}{{end}}{{end}}`))
