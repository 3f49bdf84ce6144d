package cdc

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// pgShapes reads each table's shape from the catalog as relationShape
// words a pgoutput relation message — columns in order (not dropped, not
// generated) with type oid and modifier, the replica identity's columns
// flagged key — keyed by the name relationName gives the table.
func pgShapes(ctx context.Context, conn *pgconn.PgConn, tables []string) (map[string]string, error) {
	out := map[string]string{}
	for _, t := range tables {
		rows, err := queryRows(ctx, conn, `SELECT n.nspname, c.relname, c.relreplident, a.attname, a.atttypid, a.atttypmod,
				(c.relreplident = 'f' OR coalesce(a.attnum = ANY(i.indkey), false))
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
			LEFT JOIN pg_index i ON i.indrelid = c.oid AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))
			WHERE c.oid = `+quoteLiteral(quoteTable(t))+`::regclass ORDER BY a.attnum`)
		if err != nil {
			return nil, fmt.Errorf("cdc: read the shape of %s: %w", t, err)
		}
		if len(rows) == 0 {
			continue
		}
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		name := str(rows[0][1])
		if ns := str(rows[0][0]); ns != "public" && ns != "" {
			name = ns + "." + name
		}
		parts := make([]string, len(rows))
		for i, r := range rows {
			parts[i] = fmt.Sprintf("%s oid%s/%s", str(r[3]), str(r[4]), str(r[5]))
			if str(r[6]) == "t" {
				parts[i] += " key"
			}
		}
		out[name] = fmt.Sprintf("identity %s: %s", str(rows[0][2]), strings.Join(parts, ", "))
	}
	return out, nil
}
