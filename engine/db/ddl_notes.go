package db

import (
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
)

// sourceNote says how a created column changes the meaning of a source
// type that package convert carries as plain text or bytes (MySQL SET,
// spatial, BIT, YEAR and TIME; PostgreSQL arrays, interval, network
// addresses, money, timetz, bit strings and every other type read as
// text): the values arrive exactly, but the target column no longer knows
// what they are. "" for a type the target keeps.
func sourceNote(driver string, t convert.Type) string {
	decl := strings.ToLower(strings.TrimSpace(t.Decl))
	base := declBase(decl)
	switch t.Engine {
	case convert.EngineMySQL:
		return mysqlSourceNote(driver, base)
	case convert.EnginePostgres:
		if t.Kind != convert.Text {
			return ""
		}
		if strings.HasSuffix(decl, "]") {
			return "array stored as its PostgreSQL text literal ({...}): the target has no array type and does not check its elements"
		}
		return pgSourceNote(base)
	}
	return ""
}

// declBase is a declaration without its arguments, modifiers and array
// brackets: "bit varying(8)" → "bit varying", "int(10) unsigned" → "int".
func declBase(decl string) string {
	if i := strings.IndexAny(decl, "(["); i >= 0 {
		decl = decl[:i]
	}
	return strings.TrimSpace(decl)
}

var mysqlSpatial = map[string]bool{
	"geometry": true, "point": true, "linestring": true, "polygon": true, "multipoint": true,
	"multilinestring": true, "multipolygon": true, "geometrycollection": true, "geomcollection": true,
}

func mysqlSourceNote(driver, base string) string {
	switch {
	case base == "set":
		return "SET stored as its comma-separated text: the target does not enforce its list of members"
	case mysqlSpatial[base]:
		return base + " stored as MySQL's internal bytes (a 4-byte SRID, then WKB), not as a spatial value: plain WKB readers need the first 4 bytes removed"
	case base == "bit":
		return "BIT stored as its big-endian bytes, not as a bit string or a number"
	case base == "year":
		return "YEAR stored as an integer: the target does not limit it to 1901..2155"
	case base == "time" && driver == Postgres:
		return "MySQL TIME is a duration (up to ±838:59:59); a PostgreSQL time is a time of day: values outside 00:00:00..24:00:00 are rejected"
	}
	return ""
}

func pgSourceNote(base string) string {
	switch base {
	case "text", "character varying", "varchar", "character", "char", "bpchar", "name":
		return ""
	case "citext":
		return "citext stored as case-sensitive text: comparisons and unique keys in the target are no longer case-insensitive"
	case "interval":
		return "interval stored as its PostgreSQL text (e.g. '1 year 2 mons 03:00:00'): not a duration in the target"
	case "inet", "cidr", "macaddr", "macaddr8":
		return base + " stored as text: the target neither validates nor orders it as an address"
	case "money":
		return "money stored as its text, formatted by the source's lc_monetary (e.g. $1,234.56): not a number in the target"
	case "time with time zone", "timetz":
		return "time with time zone stored as text with its offset: not a time in the target"
	case "bit", "bit varying", "varbit":
		return base + " stored as its text of 0s and 1s: the target does not check its length or digits"
	}
	return base + " stored as its PostgreSQL text: the target does not check it as " + base
}
