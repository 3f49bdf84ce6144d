package assess

import (
	"context"
	"errors"
	"strings"

	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/engine/db"
)

// plannedTarget is the target as the copy will find it: the real catalog,
// plus the tables a create: true copy would create, shaped exactly as
// db.CreateTable would shape them (so the plan gets the types the created
// table will have) without creating anything.
type plannedTarget struct {
	db.DB
	created map[string]db.Table
}

func (p *plannedTarget) Table(ctx context.Context, name string) (db.Table, error) {
	if t, ok := p.created[name]; ok {
		return t, nil
	}
	return p.DB.Table(ctx, name)
}

// wouldCreate is the table db.CreateTable would make in the target from
// the source table, and the mapping of its columns.
func wouldCreate(driver string, src db.Table) (db.Table, []ColumnMap) {
	t := db.Table{Name: src.Name, Key: src.Key}
	var maps []ColumnMap
	for _, c := range src.Columns {
		name, note := db.TypeName(driver, c.Type)
		t.Columns = append(t.Columns, db.Column{Name: c.Name, Type: parseType(driver, name, c.Type.NotNull)})
		maps = append(maps, ColumnMap{Column: c.Name, Source: c.Type.Decl, Target: name, Note: note})
	}
	return t, maps
}

// parseType reads a declaration as the driver's catalog reader would.
func parseType(driver, decl string, notNull bool) convert.Type {
	switch driver {
	case db.Postgres:
		return convert.ParsePostgres(strings.ToLower(decl), notNull)
	case db.MySQL:
		return convert.ParseMySQL(strings.ToLower(decl), notNull)
	}
	return convert.ParseSQLite(decl, notNull)
}

// targetTable reads the target table; missing is true when it does not
// exist.
func targetTable(ctx context.Context, dst db.DB, name string) (t db.Table, missing bool, err error) {
	t, err = dst.Table(ctx, name)
	if errors.Is(err, db.ErrNoTable) {
		return db.Table{}, true, nil
	}
	return t, false, err
}
