package cdc

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"
)

// pgShapeOID is a column's "oid<type>/<typmod>" in a relation shape.
var pgShapeOID = regexp.MustCompile(`oid(\d+)/(-?\d+)`)

// pgTypes names the built-in types by oid.
var pgTypes = pgtype.NewMap()

// readableShape words a relation shape for a person: each column's type
// oid and modifier as the type's name — "name oid1043/104" reads
// "name varchar(100)", "amount oid1700/655366" reads "amount
// numeric(10,2)". A type PostgreSQL does not build in keeps its oid. Shapes
// are compared as relationShape gives them (oids); this is for evidence.
func readableShape(shape string) string {
	return pgShapeOID.ReplaceAllStringFunc(shape, func(m string) string {
		g := pgShapeOID.FindStringSubmatch(m)
		oid, err1 := strconv.ParseUint(g[1], 10, 32)
		mod, err2 := strconv.Atoi(g[2])
		if err1 != nil || err2 != nil {
			return m
		}
		t, ok := pgTypes.TypeForOID(uint32(oid))
		if !ok {
			return m
		}
		switch {
		case mod < 0:
			return t.Name
		case t.Name == "varchar" || t.Name == "bpchar":
			return fmt.Sprintf("%s(%d)", t.Name, mod-4)
		case t.Name == "numeric" && mod >= 4:
			return fmt.Sprintf("numeric(%d,%d)", (mod-4)>>16, (mod-4)&0xffff)
		case t.Name == "timestamp" || t.Name == "timestamptz" || t.Name == "time" || t.Name == "timetz":
			return fmt.Sprintf("%s(%d)", t.Name, mod)
		}
		return fmt.Sprintf("%s (modifier %d)", t.Name, mod)
	})
}

// pgSchemaChanged is the evidence of a PostgreSQL table's changed shape,
// both shapes worded for a person.
func pgSchemaChanged(table, before, after string) *SchemaChangedError {
	return &SchemaChangedError{Table: table, Before: readableShape(before), After: readableShape(after)}
}
