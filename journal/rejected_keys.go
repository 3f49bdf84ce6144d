package journal

import (
	"context"
	"fmt"
	"strings"
)

// CanonicalKey is a reject's key as the rejects table stores it
// (canonical JSON, see canon.go), so a source row's key can be matched
// against the stored keys byte for byte. It is not redacted: a key equal
// to a registered secret is stored redacted and matches nothing.
func CanonicalKey(key any) (string, error) {
	t, err := toTree(key)
	if err != nil {
		return "", err
	}
	b, err := encodeTree(t)
	return string(b), err
}

// RejectedKeys returns the stored keys (canonical JSON) of the rows that
// the given steps rejected from table, whatever the reason: rows that are
// by design not in the target. No steps, or no rejects: an empty set.
func (s *Store) RejectedKeys(ctx context.Context, table string, stepIDs []string) (map[string]struct{}, error) {
	keys := map[string]struct{}{}
	if len(stepIDs) == 0 {
		return keys, nil
	}
	args := []any{table}
	for _, id := range stepIDs {
		args = append(args, id)
	}
	q := `SELECT DISTINCT key_json FROM rejects WHERE tbl = ? AND step_id IN (?` +
		strings.Repeat(", ?", len(stepIDs)-1) + `)`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal %s: rejected keys of %s: %w", s.path, table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("journal %s: rejected keys of %s: %w", s.path, table, err)
		}
		keys[k] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: rejected keys of %s: %w", s.path, table, err)
	}
	return keys, nil
}
