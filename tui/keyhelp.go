package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
)

// helpItem is a key as the key line shows it.
type helpItem struct {
	key, desc string
	reason    string // why it is disabled; "" when enabled
}

// moreHint ends a key line that had to shorten: the overlay has the rest.
const moreHint = "? more"

// keyHelp renders enabled bindings as a key line that never cuts a key's
// name (see fitKeys).
func keyHelp(st *Styles, bs []key.Binding, w int) string {
	items := make([]helpItem, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		items = append(items, helpItem{key: h.Key, desc: h.Desc})
	}
	return fitKeys(st, items, w, false, true)
}

// fitKeys renders items as "key desc · key desc", disabled ones struck and
// followed by their reasons (when reasons), in at most w cells. When the
// whole line does not fit it gives up, in order: the reasons, the
// descriptions from the last key backwards, and then the last keys — and
// says "? more" (the help overlay has everything). A key's name is never
// cut. The "?" item itself stands last, as "? more" once anything is gone;
// where "?" is not a key (a text field takes it), the line just shortens.
func fitKeys(st *Styles, items []helpItem, w int, reasons, helpKey bool) string {
	var help *helpItem
	var rest []helpItem
	for _, it := range items {
		if it.key == "?" {
			help = &it
			continue
		}
		rest = append(rest, it)
	}
	items = rest
	render := func(items []helpItem, descs int, withReasons, more bool) string {
		var on, off, why []string
		for i, it := range items {
			d := it.desc
			if i >= descs {
				d = ""
			}
			text := it.key
			if d != "" {
				text += " " + d
			}
			if it.reason == "" {
				s := st.Key.Render(it.key)
				if d != "" {
					s += " " + st.KeyDesc.Render(d)
				}
				on = append(on, s)
				continue
			}
			off = append(off, st.KeyDisabled.Render(text))
			if !slices.Contains(why, it.reason) {
				why = append(why, it.reason)
			}
		}
		sep := st.Muted.Render(" · ")
		line := strings.Join(on, sep)
		if len(off) > 0 {
			if line != "" {
				line += st.Muted.Render("   ")
			}
			line += strings.Join(off, sep)
			if withReasons {
				line += " " + st.Reason.Render("("+strings.Join(why, "; ")+")")
			}
		}
		tail := ""
		switch {
		case more && helpKey:
			tail = st.Key.Render("?") + " " + st.KeyDesc.Render("more")
		case help != nil:
			tail = st.Key.Render(help.key) + " " + st.KeyDesc.Render(help.desc)
		}
		if tail != "" && line != "" {
			line += sep
		}
		return line + tail
	}
	n := len(items)
	if l := render(items, n, reasons, false); width(l) <= w {
		return l
	}
	for descs := n; descs >= 0; descs-- {
		if l := render(items, descs, false, true); width(l) <= w {
			return l
		}
	}
	for k := n - 1; k >= 0; k-- {
		if l := render(items[:k], 0, false, true); width(l) <= w {
			return l
		}
	}
	if !helpKey {
		return ""
	}
	return truncate(st.Key.Render("?")+" "+st.KeyDesc.Render("more"), w)
}
