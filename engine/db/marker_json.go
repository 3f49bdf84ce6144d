package db

import (
	"encoding/json"
	"strings"
)

// markerKeyJSON encodes a marker's last key for the PostgreSQL and MySQL
// progress tables: a JSON array stored as text, so it reads back byte for
// byte (no jsonb or JSON-column reformatting).
func markerKeyJSON(key []any) (string, error) {
	b, err := json.Marshal(key)
	return string(b), err
}

// markerKeyFromJSON decodes a stored last key; JSON numbers come back as
// int64 when they are integers, float64 otherwise.
func markerKeyFromJSON(s string) ([]any, error) {
	if s == "" || s == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var key []any
	if err := dec.Decode(&key); err != nil {
		return nil, err
	}
	for i, v := range key {
		n, ok := v.(json.Number)
		if !ok {
			continue
		}
		if x, err := n.Int64(); err == nil {
			key[i] = x
		} else if f, err := n.Float64(); err == nil {
			key[i] = f
		} else {
			return nil, err
		}
	}
	return key, nil
}
