package convert

// scanner reads dates and times of day from text, byte by byte.
type scanner struct {
	s string
	i int
}

func (p *scanner) more() bool    { return p.i < len(p.s) }
func (p *scanner) atDigit() bool { return p.more() && isDigit(p.s[p.i]) }

// take consumes c if it is next.
func (p *scanner) take(c byte) bool {
	if p.more() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// spaces consumes spaces and reports whether there were any.
func (p *scanner) spaces() bool {
	start := p.i
	for p.more() && p.s[p.i] == ' ' {
		p.i++
	}
	return p.i > start
}

// digits reads between lo and hi decimal digits as a number.
func (p *scanner) digits(lo, hi int) (int, bool) {
	v, n := 0, 0
	for n < hi && p.atDigit() {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		n++
	}
	return v, n >= lo
}

// clock reads H:MM[:SS[.fraction]] with up to maxHour hour digits. The
// fraction is read to nanoseconds; excess reports nonzero digits beyond.
func (p *scanner) clock(h, m, s, ns *int, excess *bool, maxHour int) bool {
	var ok bool
	if *h, ok = p.digits(1, maxHour); !ok || !p.take(':') {
		return false
	}
	if *m, ok = p.digits(2, 2); !ok {
		return false
	}
	if !p.take(':') {
		return true
	}
	if *s, ok = p.digits(2, 2); !ok {
		return false
	}
	if !p.take('.') {
		return true
	}
	if !p.atDigit() {
		return false
	}
	scale := 100_000_000
	for p.atDigit() {
		d := int(p.s[p.i] - '0')
		if scale > 0 {
			*ns += d * scale
			scale /= 10
		} else if d != 0 {
			*excess = true
		}
		p.i++
	}
	return true
}

// zone reads Z, UTC, GMT or ±HH[[:]MM] to the end of the text.
func (p *scanner) zone(offset *int) bool {
	rest := p.s[p.i:]
	switch rest {
	case "Z", "z", "UTC", "GMT":
		p.i = len(p.s)
		*offset = 0
		return true
	}
	sign := 1
	switch {
	case p.take('+'):
	case p.take('-'):
		sign = -1
	default:
		return false
	}
	h, ok := p.digits(2, 2)
	if !ok || h > 15 {
		return false
	}
	m := 0
	if p.more() {
		p.take(':')
		if m, ok = p.digits(2, 2); !ok || m > 59 {
			return false
		}
	}
	*offset = sign * (h*3600 + m*60)
	return !p.more()
}
