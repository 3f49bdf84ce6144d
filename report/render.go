package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// Formats are the names Render accepts, the default first.
var Formats = []string{"md", "html", "json"}

// Render writes r in format: "md" (Markdown), "html" or "json".
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case "md", "":
		return Markdown(w, r)
	case "html":
		return HTML(w, r)
	case "json":
		return JSON(w, r)
	}
	return fmt.Errorf("unknown report format %q (want md, html or json)", format)
}

// JSON writes the Report value as indented JSON. Field names are stable;
// lists are [] when empty, never null.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
