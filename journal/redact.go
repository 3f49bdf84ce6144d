package journal

import (
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Redacted replaces every secret and password that redaction removes.
const Redacted = "[redacted]"

// minSecret is the shortest secret worth redacting: shorter strings would
// shred ordinary text.
const minSecret = 4

// Patterns of passwords inside text. Each keeps what is around the password
// (scheme, user, host, keyword) and replaces the password itself. They err
// on the side of hiding too much: a password may contain '@', so a URL's
// userinfo runs to the last '@' of the whitespace-delimited word.
var (
	// scheme://user:PASSWORD@host (postgres, mysql, anything with a scheme).
	urlPassword = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@'"]*:)[^\s'"]*@`)
	// user:PASSWORD@tcp(host:3306)/db, user:PASSWORD@unix(/sock)/db, user:PASSWORD@/db
	// (go-sql-driver/mysql's form).
	mysqlPassword = regexp.MustCompile(`(?i)((?:^|[\s'"=,;(\[{<])[^\s:/@'"=,;()\[\]{}<>]*:)[^\s'"/][^\s'"]*@((?:tcp6?|udp|unix|unixgram|pipe|memory)?\(|/)`)
	// password=PASSWORD, PGPASSWORD='x y', pwd="x" (libpq keyword strings,
	// ODBC strings, URL query parameters, environment assignments).
	keywordPassword = regexp.MustCompile(`(?i)\b(\w*(?:password|passwd|pwd))(\s*=\s*)('(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|[^\s;&]+)`)
	// SQL: WITH PASSWORD 'x', IDENTIFIED BY 'x'.
	sqlPassword = regexp.MustCompile(`(?i)\b(password\s+|identified\s+by\s+)'(?:[^'\\]|\\.|'')*'`)
)

// RedactText returns s with every secret (strings shorter than 4 bytes are
// ignored; URL-escaped forms and, for a DSN, its password count too)
// replaced by "[redacted]", and then the password of every DSN or password
// assignment it contains: postgres://user:[redacted]@host,
// user:[redacted]@tcp(host:3306)/db, password=[redacted], PASSWORD
// '[redacted]'. Use it for anything that leaves the process: logs, reports,
// the screen.
func RedactText(s string, secrets []string) string {
	var r redactor
	for _, x := range secrets {
		r.add(x)
	}
	return r.text(s)
}

// redactor holds the exact strings to remove, longest first so that a
// secret that contains another is removed whole.
type redactor struct {
	secrets []string
}

// add registers a secret with the forms it may take in text: as given,
// URL-escaped, and the password inside it when it is a DSN.
func (r *redactor) add(secret string) {
	r.addExact(secret)
	r.addExact(url.QueryEscape(secret))
	r.addExact(url.PathEscape(secret))
	for _, p := range dsnPasswords(secret) {
		r.addExact(p)
	}
}

func (r *redactor) addExact(secret string) {
	if len(secret) < minSecret {
		return
	}
	for _, x := range r.secrets {
		if x == secret {
			return
		}
	}
	r.secrets = append(r.secrets, secret)
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// exact replaces the registered secrets in s and nothing else: what row
// data and the runbook text get, so a value that only looks like a password
// is kept whole.
func (r *redactor) exact(s string) string {
	for _, x := range r.secrets {
		if strings.Contains(s, x) {
			s = strings.ReplaceAll(s, x, Redacted)
		}
	}
	return s
}

// text redacts one string of tightrope's own (errors, logs, command
// output): the registered secrets, then every password-shaped pattern.
func (r *redactor) text(s string) string {
	s = r.exact(s)
	if !strings.ContainsAny(s, "@='") {
		return s // no pattern can match: the common case
	}
	s = urlPassword.ReplaceAllString(s, "${1}"+Redacted+"@")
	s = mysqlPassword.ReplaceAllString(s, "${1}"+Redacted+"@${2}")
	s = keywordPassword.ReplaceAllString(s, "${1}${2}"+Redacted)
	s = sqlPassword.ReplaceAllString(s, "${1}'"+Redacted+"'")
	return s
}

// tree redacts every string, and every object key, of a JSON tree (as built
// by toTree) with redact (r.text or r.exact). Working on decoded strings, it cannot break the JSON: the tree
// is encoded again afterwards. (Two keys that redact alike merge; keys are
// not where secrets live, but they are scrubbed all the same.)
func (r *redactor) tree(v any, redact func(string) string) any {
	switch x := v.(type) {
	case string:
		return redact(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[redact(k)] = r.tree(e, redact)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.tree(e, redact)
		}
		return out
	default:
		return v
	}
}

// payload turns an event payload into canonical, redacted JSON. A nil
// payload is stored as {}. The runbook text of a RunStartedPayload is kept
// verbatim, because resume runs it: a runbook holding a secret's value is
// refused instead (lint keeps secrets out of runbooks).
func (r *redactor) payload(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	if c, ok := v.(CDCChangesPayload); ok {
		return r.capturedData(c)
	}
	p, ok := v.(RunStartedPayload)
	if !ok {
		return r.canonJSON(v)
	}
	if r.exact(p.RunbookText) != p.RunbookText {
		return nil, errors.New("the runbook contains the value of a secret (a dsn_env variable): secrets never live in a runbook")
	}
	text := p.RunbookText
	p.RunbookText = ""
	t, err := toTree(p)
	if err != nil {
		return nil, err
	}
	m, ok := r.tree(t, r.text).(map[string]any)
	if !ok {
		return nil, errors.New("run_started payload is not an object")
	}
	m["runbook_text"] = text
	return encodeTree(m)
}

// capturedData is a captured transaction as canonical JSON, kept whole:
// its values are applied to a target from the journal, so one that holds a
// registered secret's exact value is refused rather than stored altered
// (password-shaped values are data and stay).
func (r *redactor) capturedData(c CDCChangesPayload) ([]byte, error) {
	t, err := toTree(c)
	if err != nil {
		return nil, err
	}
	whole, err := encodeTree(t)
	if err != nil {
		return nil, err
	}
	red, err := encodeTree(r.tree(t, r.exact))
	if err != nil {
		return nil, err
	}
	if string(red) != string(whole) {
		return nil, errors.New("a captured value holds the value of a secret (a dsn_env variable): it cannot be journaled whole, and an altered copy would be applied")
	}
	return whole, nil
}

// dsnPasswords extracts the password of a DSN in URL, MySQL driver or
// keyword form, both as written and decoded; none when s is none of them or
// has no password.
func dsnPasswords(s string) []string {
	var out []string
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	for _, re := range []*regexp.Regexp{urlDSN, mysqlDSN} {
		if m := re.FindStringSubmatch(s); m != nil {
			out = append(out, m[1])
			if p, err := url.PathUnescape(m[1]); err == nil {
				out = append(out, p)
			}
		}
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(s, -1) {
		v := m[3]
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, v)
	}
	return out
}

// The password of a whole URL DSN and of a whole go-sql-driver/mysql DSN.
var (
	urlDSN   = regexp.MustCompile(`(?i)^[a-z][a-z0-9+.\-]*://[^:/@]*:(.*)@`)
	mysqlDSN = regexp.MustCompile(`(?i)^[^:/@]*:(.*)@(?:[a-z0-9]*\(|/)`)
)
