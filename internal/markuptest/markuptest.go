// Package markuptest checks, in tests, that the HTML tightrope writes
// (reports, plans) parses as strict XML.
package markuptest

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// WellFormed fails t unless page parses as strict XML to the end: every
// tag closed, every entity known, nothing raw that would break the markup.
func WellFormed(t testing.TB, page string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	dec.Strict = true
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the HTML is not well-formed: %v\n%s", err, page)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("the HTML has unbalanced elements (%d open)\n%s", depth, page)
	}
}
