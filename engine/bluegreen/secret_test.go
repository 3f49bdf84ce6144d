package bluegreen

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/internal/dbtest"
)

// TestMalformedConnInfoNeverEchoesItsPassword: a password with an
// unquoted space makes a conninfo malformed, and both pgx ("cannot parse
// `host=… password=xxxxx rest`") and the server ("missing "=" after
// "rest" in connection info string") quote the part after the space —
// part of the password, which no redaction knows. Neither reaches an
// error: the side's DSN and the conninfo written into a subscription are
// refused without their text.
func TestMalformedConnInfoNeverEchoesItsPassword(t *testing.T) {
	const tail = "Zq8tailOfThePassword"
	w := newWorld(t, 3, 3)
	cc, err := pgx.ParseConfig(w.blue)
	if err != nil {
		t.Fatal(err)
	}
	keyword := func(pw string) string {
		return "host=" + cc.Host + " port=" + strconv.Itoa(int(cc.Port)) + " dbname=" + cc.Database + " user=" + cc.User + " password=" + pw
	}
	for _, c := range []struct {
		what string
		set  func(cfg *Config)
	}{
		{"blue's conninfo (the forward subscription's)", func(cfg *Config) { cfg.Blue.ConnInfo = keyword("abc " + tail) }},
		{"green's conninfo (the reverse subscription's)", func(cfg *Config) { cfg.Green.ConnInfo = keyword("abc " + tail) }},
		{"blue's DSN", func(cfg *Config) { cfg.Blue.DSN = keyword("abc " + tail) }},
	} {
		cfg := w.cfg
		c.set(&cfg)
		ctx := dbtest.Ctx(t)
		p, err := Open(ctx, cfg)
		if err == nil {
			_, err = p.Prepare(ctx)
			if err == nil {
				_, err = p.CheckReverse(ctx)
			}
			p.Teardown(ctx)
			p.Close(ctx)
		}
		if err == nil {
			t.Fatalf("%s malformed: Open, Prepare and CheckReverse all succeeded", c.what)
		}
		if strings.Contains(err.Error(), tail) {
			t.Fatalf("%s malformed: the error quotes part of the password: %v", c.what, err)
		}
		t.Logf("%s: %v", c.what, err)
	}
}

// TestServerConnInfoErrorIsMasked: what a server says of a malformed
// subscription conninfo (a conninfo pgx would have let through, were
// its parser more lenient than libpq's) reaches no error whole.
func TestServerConnInfoErrorIsMasked(t *testing.T) {
	const tail = "Zq8tailOfThePassword"
	w := newWorld(t, 1, 1)
	ctx := dbtest.Ctx(t)
	c := connect(t, w.green)
	defer c.Close(ctx)
	_, err := c.Exec(ctx, "CREATE SUBSCRIPTION probe_"+randHex(4)+" CONNECTION "+literal("host=x password=abc "+tail)+" PUBLICATION p WITH (connect = false)")
	if err == nil || !strings.Contains(err.Error(), tail) {
		t.Fatalf("the server's own error no longer quotes the conninfo (%v): this test proves nothing", err)
	}
	if got := conninfoError(err); got == nil || strings.Contains(got.Error(), tail) {
		t.Fatalf("conninfoError(%v) = %v: want an error quoting nothing", err, got)
	}
}
