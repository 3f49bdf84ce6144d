package runbooks

import (
	"strings"
	"testing"
)

const drillBase = `version: 1
name: t
migration_id: T-1
decision_maker: dana
connections:
  source: { driver: mysql, dsn_env: SHOP_MYSQL_DSN }
  target:
    driver: sqlite
    path: target.db
`

const drillSteps = `steps:
  - { id: copy, kind: copy, tables: [p] }
`

func TestDrillSectionLoads(t *testing.T) {
	rb, err := Parse("rb.yaml", []byte(drillBase+"drill:\n  source: { dsn_env: DRILL_MYSQL_DSN }\n  target: { path: drill.db }\n"+drillSteps))
	if err != nil {
		t.Fatal(err)
	}
	src, ok := rb.DrillConnection("source")
	if !ok || src.Driver != "mysql" || src.DSNEnv != "DRILL_MYSQL_DSN" {
		t.Errorf("source stand-in %+v", src)
	}
	if tgt, _ := rb.DrillConnection("target"); tgt.Path != "drill.db" || tgt.Driver != "sqlite" {
		t.Errorf("target stand-in %+v", tgt)
	}
}

func TestDrillSectionErrorsPointAtTheText(t *testing.T) {
	for drill, want := range map[string]string{
		"drill:\n  elsewhere: { path: x.db }\n":           "rb.yaml:11:3: drill connection \"elsewhere\": there is no live connection",
		"drill:\n  source: { dsn_env: SHOP_MYSQL_DSN }\n": "rb.yaml:11:22: drill connection \"source\": dsn_env SHOP_MYSQL_DSN is the live connection's own",
		"drill:\n  target: { path: target.db }\n":         "rb.yaml:11:19: drill connection \"target\": path target.db is the live connection's own",
		"drill:\n  source: { path: x.db }\n":              "path is only for sqlite",
		"drill:\n  source: { driver: sqlite }\n":          "unknown key",
		"drill:\n  source: {}\n":                          "needs dsn_env",
	} {
		_, err := Parse("rb.yaml", []byte(drillBase+drill+drillSteps))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", drill, err, want)
		}
	}
}

// The drill's runbook has the drill connections in place of the live ones
// and no drill: section, and is otherwise the same text.
func TestWithConnectionsReplacesTheLiveOnes(t *testing.T) {
	rb, err := Parse("rb.yaml", []byte(drillBase+"drill:\n  source: { dsn_env: DRILL_MYSQL_DSN }\n  target: { path: drill.db }\n"+drillSteps))
	if err != nil {
		t.Fatal(err)
	}
	text, err := rb.WithConnections(rb.Drill)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("drill.yaml", text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if len(back.Drill) != 0 || strings.Contains(string(text), "drill:") {
		t.Errorf("the drill: section is still there:\n%s", text)
	}
	if c, _ := back.Connection("source"); c.DSNEnv != "DRILL_MYSQL_DSN" || c.Driver != "mysql" {
		t.Errorf("source %+v", c)
	}
	if c, _ := back.Connection("target"); c.Path != "drill.db" {
		t.Errorf("target %+v", c)
	}
	if strings.Contains(string(text), "SHOP_MYSQL_DSN") || strings.Contains(string(text), "target.db") {
		t.Errorf("a live connection survived:\n%s", text)
	}
	if len(back.Steps) != 1 || back.MigrationID != "T-1" {
		t.Errorf("the rest of the runbook changed: %+v", back)
	}
}
