package db

import (
	"strings"
	"testing"

	"github.com/tightrope/tightrope/engine/convert"
)

// TestMappingNotesForTypesReadAsTextOrBytes: every source type that
// package convert carries as plain text or bytes is created in every
// target with a note saying what the target no longer knows; plain text
// columns get none. The source types are read from the real catalogs.
func TestMappingNotesForTypesReadAsTextOrBytes(t *testing.T) {
	my := mysqlTestDB(t)
	mustExec(t, my, "CREATE TABLE notes (id INT PRIMARY KEY, s SET('a','b'), g GEOMETRY, p POINT, b BIT(5), y YEAR, tm TIME, v VARCHAR(10))")
	pg := pgTestDB(t)
	mustExec(t, pg, `CREATE TABLE notes (id int PRIMARY KEY, iv interval, arr integer[], ip inet, cash money,
		ttz time with time zone, vb bit varying(8), bt bit(3), box box, v varchar(10), tx text)`)
	plain := map[string]bool{"id": true, "v": true, "tx": true}
	want := map[string]string{ // a word each column's note must contain
		"s": "SET", "g": "SRID", "p": "SRID", "b": "BIT", "y": "YEAR",
		"iv": "interval", "arr": "array", "ip": "inet", "cash": "money", "ttz": "time with time zone",
		"vb": "bit varying", "bt": "bit", "box": "box",
	}
	for _, src := range []DB{my, pg} {
		tb := mustTable(t, src, "notes")
		for _, target := range []string{SQLite, Postgres, MySQL} {
			for _, c := range tb.Columns {
				_, note := TypeName(target, c.Type)
				switch {
				case plain[c.Name] && note != "":
					t.Errorf("%s %s (%s) → %s: unexpected note %q", src.Driver(), c.Name, c.Type.Decl, target, note)
				case !plain[c.Name] && c.Name != "tm" && !strings.Contains(note, want[c.Name]):
					t.Errorf("%s %s (%s) → %s: note %q, want one naming %q", src.Driver(), c.Name, c.Type.Decl, target, note, want[c.Name])
				}
			}
		}
	}
	tz := convert.ParsePostgres("timestamp with time zone", false)
	if _, note := TypeName(SQLite, tz); !strings.Contains(note, "UTC") {
		t.Errorf("timestamptz → SQLite: note %q, want one saying it is kept as UTC wall time", note)
	}
	tm, _ := mustTable(t, my, "notes").Column("tm")
	if _, note := TypeName(Postgres, tm.Type); !strings.Contains(note, "duration") {
		t.Errorf("MySQL TIME → PostgreSQL time: note %q, want one saying a TIME is a duration", note)
	}
}
