package runbooks

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compiledSchema compiles Schema() with an independent implementation of
// JSON Schema 2020-12 (which also checks it against the meta-schema).
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// validate checks runbook YAML against the schema.
func validate(t *testing.T, s *jsonschema.Schema, text []byte) error {
	t.Helper()
	j, err := yaml.YAMLToJSON(text)
	if err != nil {
		t.Fatalf("YAML to JSON: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(v)
}

// TestSchemaCoversTheRegistries: every key the loader knows has a value
// type and a line of documentation, every kind a description; none is
// left over from a key that went away.
func TestSchemaCoversTheRegistries(t *testing.T) {
	stepKeys := slices.Clone(commonStepKeys)
	for _, k := range kindSpecs {
		if kindDocs[k.name] == "" {
			t.Errorf("kind %s has no kindDocs entry", k.name)
		}
		stepKeys = append(stepKeys, k.keys...)
	}
	if len(kindDocs) != len(kindSpecs) {
		t.Errorf("kindDocs has %d entries for %d kinds", len(kindDocs), len(kindSpecs))
	}
	for _, c := range []struct {
		what string
		keys []string
		docs map[string]keyDoc
	}{{"step", stepKeys, stepKeyDocs}, {"top-level", topKeys, topKeyDocs}, {"objectives", objectiveKeys, objectiveKeyDocs},
		{"connection", connectionKeys, connectionKeyDocs}, {"notify", notifyKeys, notifyKeyDocs}, {"cast", castKeys, castKeyDocs}} {
		for _, k := range c.keys {
			if d, ok := c.docs[k]; !ok || d.doc == "" {
				t.Errorf("%s key %s has no keyDoc", c.what, k)
			}
		}
		for k := range c.docs {
			if !slices.Contains(c.keys, k) {
				t.Errorf("%s keyDoc %s is for no key the loader knows", c.what, k)
			}
		}
	}
}

// TestSchemaValidatesTheExamples: every example runbook (and the
// testdata the loader accepts) validates; each example points editors at
// the schema file beside it, and that file is what `tightrope schema`
// prints today.
func TestSchemaValidatesTheExamples(t *testing.T) {
	s := compiledSchema(t)
	files, _ := filepath.Glob("examples/*.yaml")
	more, _ := filepath.Glob("testdata/*.yaml")
	if len(files) < 2 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range append(files, more...) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(f, text); err != nil {
			if strings.HasPrefix(f, "examples/") {
				t.Errorf("%s does not load: %v", f, err)
			}
			continue // testdata that the loader refuses on purpose
		}
		if err := validate(t, s, text); err != nil {
			t.Errorf("%s: the loader accepts it, the schema refuses it: %v", f, err)
		}
		if strings.HasPrefix(f, "examples/") && !bytes.HasPrefix(text, []byte(SchemaComment+"\n")) {
			t.Errorf("%s does not start with %q", f, SchemaComment)
		}
	}
	onDisk, err := os.ReadFile(filepath.Join("examples", SchemaFile))
	if err != nil || !bytes.Equal(onDisk, SchemaJSON()) {
		t.Errorf("examples/%s is not what `tightrope schema` prints: run go run . schema > runbooks/examples/%s (%v)", SchemaFile, SchemaFile, err)
	}
}

// TestSchemaRefusesWhatTheLoaderRefuses: a wrong key, a key of another
// kind, a missing required key and values of the wrong type are refused
// by the schema and by the loader alike; the unchanged runbook passes
// both.
func TestSchemaRefusesWhatTheLoaderRefuses(t *testing.T) {
	s := compiledSchema(t)
	base, err := os.ReadFile("examples/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new string }{
		{"unchanged", "", ""},
		{"misspelt step key", "    batch: 200\n", "    bacth: 200\n"},
		{"key of another kind", "kind: gate, question:", "kind: gate, tables: [a], question:"},
		{"unknown kind", "kind: gate,", "kind: teleport,"},
		{"missing required key", "{ id: go, kind: gate, question: Switch the shop to the new database? }", "{ id: go, kind: gate }"},
		{"batch not a number", "batch: 200", `batch: "many"`},
		{"batch zero", "batch: 200", "batch: 0"},
		{"checklist not a list", "checklist: [Maintenance banner is up, Order intake is paused]", "checklist: Maintenance banner is up"},
		{"percentage without %", "reject_rate: 0.1%", "reject_rate: 0.1"},
		{"negative row count", "verify_mismatch: 0", "verify_mismatch: -1"},
		{"step_failed not a boolean", "step_failed: true", "step_failed: yes please"},
		{"duration without unit", "rto: 5m", "rto: 5"},
		{"unknown trigger", "reject_rate: 0.1%", "reject_ratio: 0.1%"},
		{"unknown top-level key", "strategy: snapshot\n", "strategy: snapshot\nstrategie: snapshot\n"},
		{"unknown strategy", "strategy: snapshot", "strategy: hope"},
		{"unknown driver", "driver: sqlite, path: shop.db", "driver: oracle, dsn_env: X"},
		{"sqlite with path and dsn_env", "driver: sqlite, path: shop.db", "driver: sqlite, path: shop.db, dsn_env: SHOP"},
		{"bad step id", "id: freeze", "id: Freeze Now"},
		{"tables neither list nor all", "tables: [customers, products, orders]\n", "tables: customers\n"},
		{"cast column without table", "    expected: 1m\n", "    expected: 1m\n    casts: [{ column: rating, map: { \"N/A\": null } }]\n"},
		{"cast without map", "    expected: 1m\n", "    expected: 1m\n    casts: [{ column: products.rating }]\n"},
		{"bad on_failure", "kind: manual\n", "kind: manual\n    on_failure: shrug\n"},
		{"version 2", "version: 1", "version: 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			text := base
			if c.old != "" {
				if !bytes.Contains(base, []byte(c.old)) {
					t.Fatalf("the demo has no %q", c.old)
				}
				text = bytes.Replace(base, []byte(c.old), []byte(c.new), 1)
			}
			_, loadErr := Parse("demo.yaml", text)
			schemaErr := validate(t, s, text)
			if c.old == "" {
				if loadErr != nil || schemaErr != nil {
					t.Fatalf("loader: %v; schema: %v", loadErr, schemaErr)
				}
				return
			}
			if loadErr == nil {
				t.Errorf("the loader accepts it")
			}
			if schemaErr == nil {
				t.Errorf("the schema accepts it")
			}
		})
	}
}
