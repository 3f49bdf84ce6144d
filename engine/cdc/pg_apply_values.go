package cdc

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/tightrope/tightrope/engine/convert"
	"github.com/tightrope/tightrope/journal"
)

// pgTargetTypes holds, per table, the target's column types as
// format_type spells them, read once per Apply when a change carries
// bytes (journal.CDCChange.Binary).
type pgTargetTypes map[string]map[string]string

// binary rewrites a change's byte values for their target columns: into
// a bytea column the \x hex goes as it is (PostgreSQL reads it exactly);
// into any other column the bytes are converted by engine/convert as the
// bulk copy converts them (a BIT(1)'s byte into a boolean, bytes that are
// UTF-8 text into text) and sent as that value's text, or refused with
// the copy's reason. The change's own slices are not modified.
func (tt pgTargetTypes) binary(ctx context.Context, tx pgx.Tx, c journal.CDCChange) (journal.CDCChange, error) {
	if len(c.Binary) == 0 {
		return c, nil
	}
	types, ok := tt[c.Table]
	if !ok {
		var err error
		if types, err = pgColumnTypes(ctx, tx, c.Table); err != nil {
			return c, err
		}
		tt[c.Table] = types
	}
	conv := func(names []string, vals []*string) ([]*string, error) {
		out := slices.Clone(vals)
		for i, name := range names {
			if out[i] == nil || !slices.Contains(c.Binary, name) {
				continue
			}
			typ, ok := types[name]
			if !ok {
				return nil, fmt.Errorf("column %s does not exist on the target", name)
			}
			if typ == "bytea" {
				continue
			}
			s, err := pgFromBytes(*out[i], typ)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", name, err)
			}
			out[i] = &s
		}
		return out, nil
	}
	var err error
	if c.New, err = conv(c.Columns, c.New); err != nil {
		return c, err
	}
	c.Key, err = conv(c.KeyColumns, c.Key)
	return c, err
}

// pgFromBytes converts a journaled byte value (\x hex) for a target column
// of type typ (not bytea) and returns the converted value's text.
func pgFromBytes(s, typ string) (string, error) {
	b, err := unhexBytes(s)
	if err != nil {
		return "", err
	}
	t := convert.ParsePostgres(typ, false)
	v, rej := convert.ConvertTo(b, &t)
	if rej != nil {
		return "", rej
	}
	switch x := v.(type) {
	case []byte:
		return `\x` + hex.EncodeToString(x), nil
	case string:
		return x, nil
	case bool:
		return map[bool]string{true: "t", false: "f"}[x], nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return "", fmt.Errorf("bytes into a %s column: not applied (converted to a %T)", typ, v)
}

// unhexBytes reads a journaled byte value: \x and hex digits.
func unhexBytes(s string) ([]byte, error) {
	if !strings.HasPrefix(s, `\x`) {
		return nil, errors.New("a binary value not in \\x hex form")
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("binary value %.20q: %w", s, err)
	}
	return b, nil
}

// pgColumnTypes reads a target table's column types.
func pgColumnTypes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, quoteTable(table))
	if err != nil {
		return nil, fmt.Errorf("read the target's columns of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		out[name] = typ
	}
	return out, rows.Err()
}
