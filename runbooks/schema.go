package runbooks

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// SchemaID is the JSON Schema's $id; runbooks point editors at a copy of
// the schema with a `# yaml-language-server: $schema=…` comment.
const SchemaID = "https://github.com/tightrope/tightrope/runbook.schema.json"

// SchemaFile is the name the schema is written under beside runbooks
// (runbooks/examples/runbook.schema.json, the demo's folder).
const SchemaFile = "runbook.schema.json"

// SchemaComment is the first line of a runbook that tells editors (the
// YAML language server) where the schema is: SchemaFile beside it.
const SchemaComment = "# yaml-language-server: $schema=" + SchemaFile

// Schema is the JSON Schema (draft 2020-12) of the runbook format, built
// from the registries the loader checks against: the step kinds with
// their keys and required keys (kinds.go), the triggers with their units
// (triggers.go), and the keys of every mapping. The loader stays the
// judge: it also checks what a schema cannot say (references between
// steps, connections that exist, casts of copied tables).
func Schema() map[string]any {
	stepKeys := slices.Clone(commonStepKeys)
	for _, k := range kindSpecs {
		for _, key := range k.keys {
			if !slices.Contains(stepKeys, key) {
				stepKeys = append(stepKeys, key)
			}
		}
	}
	var perKind []any
	for _, k := range kindSpecs {
		allowed := map[string]any{}
		for _, key := range append(slices.Clone(commonStepKeys), k.keys...) {
			allowed[key] = true
		}
		then := map[string]any{"properties": allowed, "additionalProperties": false}
		if req := requiredKeys(k); len(req) > 0 {
			then["required"] = req
		}
		perKind = append(perKind, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"kind": map[string]any{"const": k.name}}, "required": []string{"kind"}},
			"then": then,
		})
	}
	triggers := map[string]any{}
	for _, t := range triggerSpecs {
		s := triggerSchema(t.Unit)
		s["description"] = fmt.Sprintf("%s (%s, per %s)", t.Doc, unitWords(t.Unit), t.Scope)
		triggers[t.Name] = s
	}
	top := properties(topKeys, topKeyDocs)
	top["version"] = map[string]any{"const": 1, "description": topKeyDocs["version"].doc}
	top["migration_id"] = map[string]any{"type": []string{"string", "integer"}, "pattern": migrationIDRE.String(), "description": topKeyDocs["migration_id"].doc}
	top["strategy"] = map[string]any{"enum": strategies, "description": topKeyDocs["strategy"].doc}
	top["objectives"] = object(objectiveKeys, objectiveKeyDocs, topKeyDocs["objectives"].doc)
	top["connections"] = map[string]any{"type": "object", "description": topKeyDocs["connections"].doc,
		"additionalProperties": map[string]any{"$ref": "#/$defs/connection"}}
	top["triggers"] = map[string]any{"type": "object", "description": topKeyDocs["triggers"].doc,
		"properties": triggers, "additionalProperties": false}
	top["notify"] = map[string]any{"type": "array", "description": topKeyDocs["notify"].doc, "items": map[string]any{"$ref": "#/$defs/notify"}}
	top["steps"] = map[string]any{"type": "array", "minItems": 1, "description": topKeyDocs["steps"].doc, "items": map[string]any{"$ref": "#/$defs/step"}}
	top["rollback"] = map[string]any{"type": "array", "description": topKeyDocs["rollback"].doc, "items": map[string]any{"$ref": "#/$defs/step"}}
	top["approvals"] = map[string]any{"type": "array", "uniqueItems": true, "description": topKeyDocs["approvals"].doc,
		"items": map[string]any{"type": "string", "minLength": 1}}
	top["drill"] = map[string]any{"type": "object", "description": topKeyDocs["drill"].doc,
		"additionalProperties": map[string]any{"type": "object", "additionalProperties": false, "minProperties": 1, "maxProperties": 1,
			"properties": map[string]any{
				"dsn_env": map[string]any{"type": "string", "pattern": envNameRE.String(), "description": connectionKeyDocs["dsn_env"].doc},
				"path":    map[string]any{"type": "string", "minLength": 1, "description": connectionKeyDocs["path"].doc},
			}}}

	connection := object(connectionKeys, connectionKeyDocs, "a database: a driver and either dsn_env (any driver) or path (sqlite)")
	connection["required"] = []string{"driver"}
	connection["properties"].(map[string]any)["driver"] = map[string]any{"enum": drivers, "description": connectionKeyDocs["driver"].doc}
	connection["properties"].(map[string]any)["dsn_env"] = map[string]any{"type": "string", "pattern": envNameRE.String(), "description": connectionKeyDocs["dsn_env"].doc}
	connection["allOf"] = []any{
		map[string]any{
			"if":   map[string]any{"properties": map[string]any{"driver": map[string]any{"enum": []string{"postgres", "mysql"}}}},
			"then": map[string]any{"required": []string{"dsn_env"}, "not": map[string]any{"required": []string{"path"}}},
		},
		map[string]any{
			"if":   map[string]any{"properties": map[string]any{"driver": map[string]any{"const": "sqlite"}}},
			"then": map[string]any{"oneOf": []any{map[string]any{"required": []string{"path"}}, map[string]any{"required": []string{"dsn_env"}}}},
		},
	}
	notify := object(notifyKeys, notifyKeyDocs, "one entry of the communication plan: on, and exec or url")
	notify["required"] = []string{"on"}
	notify["oneOf"] = []any{map[string]any{"required": []string{"exec"}}, map[string]any{"required": []string{"url"}}}
	notify["properties"].(map[string]any)["url"] = map[string]any{"type": "string", "pattern": "^https?://", "description": notifyKeyDocs["url"].doc}
	cast := object(castKeys, castKeyDocs, "a cast rule: source values of one column replaced before the type check")
	cast["required"] = castKeys
	cast["properties"].(map[string]any)["column"] = map[string]any{"type": "string", "pattern": `^.+\..+$`, "description": castKeyDocs["column"].doc}
	cast["properties"].(map[string]any)["map"] = map[string]any{"type": "object", "minProperties": 1, "description": castKeyDocs["map"].doc,
		"additionalProperties": map[string]any{"type": []string{"string", "number", "boolean", "null"}}}

	step := map[string]any{
		"type":                 "object",
		"description":          "one step: id, kind, and the keys of its kind",
		"required":             []string{"id", "kind"},
		"properties":           properties(stepKeys, stepKeyDocs),
		"additionalProperties": false,
		"allOf":                perKind,
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  SchemaID,
		"title":                "tightrope runbook",
		"description":          "A tightrope runbook (version 1); see docs/RUNBOOK.md. Generated by `tightrope schema` from the loader's registries.",
		"type":                 "object",
		"required":             []string{"version", "name", "migration_id", "decision_maker", "steps"},
		"properties":           top,
		"additionalProperties": false,
		"$defs":                map[string]any{"step": step, "connection": connection, "notify": notify, "cast": cast},
	}
}

// SchemaJSON is Schema as indented JSON with a final newline.
func SchemaJSON() []byte {
	b, err := json.MarshalIndent(Schema(), "", "  ")
	if err != nil {
		panic(err) // maps of strings, numbers and bools always marshal
	}
	return append(b, '\n')
}

// requiredKeys are the keys a kind requires.
func requiredKeys(k kindSpec) []string {
	var out []string
	for _, r := range k.requires {
		out = append(out, r.key)
	}
	return out
}

// object is a closed mapping of the given keys.
func object(keys []string, docs map[string]keyDoc, doc string) map[string]any {
	return map[string]any{"type": "object", "description": doc, "properties": properties(keys, docs), "additionalProperties": false}
}

// properties maps each key to the schema of its documented value type.
func properties(keys []string, docs map[string]keyDoc) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		d, ok := docs[k]
		if !ok {
			panic("runbooks: key " + k + " has no keyDoc") // schema_test.go catches it first
		}
		s := valueSchema(d.typ)
		s["description"] = d.doc
		out[k] = s
	}
	return out
}

// durationPattern is what time.ParseDuration reads, without a sign (the
// loader refuses negative durations); "0" alone needs no unit.
const durationPattern = `^(0|(([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$`

// valueSchema is the JSON Schema of one value type, as the loader reads it.
func valueSchema(t valueType) map[string]any {
	text := []string{"string", "number", "boolean"} // scalars are taken as written
	switch t {
	case tNonEmpty:
		return map[string]any{"type": text, "pattern": `\S`}
	case tStepID:
		return map[string]any{"type": "string", "pattern": stepIDRE.String()}
	case tDuration:
		return map[string]any{"type": []string{"string", "integer"}, "pattern": durationPattern, "maximum": 0, "minimum": 0}
	case tPercent:
		return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]*)?|\.[0-9]+)%$`}
	case tCount:
		return map[string]any{"type": "integer", "minimum": 0}
	case tPositive:
		return map[string]any{"type": "integer", "minimum": 1, "maximum": math.MaxInt32}
	case tBool:
		return map[string]any{"type": "boolean"}
	case tTextList:
		return map[string]any{"type": "array", "items": map[string]any{"type": text}}
	case tKeyList:
		return map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": text}}
	case tTables:
		return map[string]any{"anyOf": []any{
			map[string]any{"const": "all"},
			map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": text}},
		}}
	case tCasts:
		return map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/cast"}}
	case tKind:
		return map[string]any{"enum": Kinds()}
	case tOnFailure:
		return map[string]any{"enum": []string{OnFailureStop, OnFailureRollback, OnFailureContinue}}
	}
	return map[string]any{"type": text}
}

// triggerSchema is the value a trigger of the unit takes.
func triggerSchema(u Unit) map[string]any {
	switch u {
	case UnitFraction:
		return valueSchema(tPercent)
	case UnitRows:
		return valueSchema(tCount)
	case UnitMillis:
		return valueSchema(tDuration)
	}
	return valueSchema(tBool)
}

// unitWords names a trigger's value for people.
func unitWords(u Unit) string {
	switch u {
	case UnitFraction:
		return "a percentage like 0.1% or 150%"
	case UnitRows:
		return "a number of rows"
	case UnitMillis:
		return "a duration like 30s"
	}
	return "true or false"
}
