package db

import (
	"errors"
	"strings"
	"testing"
)

// refusedDDL makes table r: a self-referencing foreign key, a unique key,
// a check, a NOT NULL column and a trigger that raises an error for
// note = 'boom', in each engine's dialect.
var refusedDDL = map[string][]string{
	Postgres: {
		`CREATE TABLE r (id BIGINT PRIMARY KEY, up BIGINT CONSTRAINT r_up_fk REFERENCES r (id),
			code TEXT CONSTRAINT r_code_uq UNIQUE, qty BIGINT NOT NULL CONSTRAINT r_qty_ck CHECK (qty >= 0), note TEXT)`,
		`CREATE FUNCTION r_no_boom() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.note = 'boom' THEN RAISE EXCEPTION 'no boom here'; END IF; RETURN NEW; END $$`,
		`CREATE TRIGGER r_boom BEFORE INSERT ON r FOR EACH ROW EXECUTE FUNCTION r_no_boom()`,
	},
	MySQL: {
		"CREATE TABLE r (id BIGINT PRIMARY KEY, up BIGINT, code VARCHAR(20), qty BIGINT NOT NULL, note VARCHAR(20)," +
			" CONSTRAINT r_up_fk FOREIGN KEY (up) REFERENCES r (id), CONSTRAINT r_code_uq UNIQUE (code)," +
			" CONSTRAINT r_qty_ck CHECK (qty >= 0)) ENGINE=InnoDB",
		`CREATE TRIGGER r_boom BEFORE INSERT ON r FOR EACH ROW
		BEGIN IF NEW.note = 'boom' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no boom here'; END IF; END`,
	},
	SQLite: {
		`CREATE TABLE r (id INTEGER PRIMARY KEY, up INTEGER CONSTRAINT r_up_fk REFERENCES r (id),
			code TEXT CONSTRAINT r_code_uq UNIQUE, qty INTEGER NOT NULL CONSTRAINT r_qty_ck CHECK (qty >= 0), note TEXT)`,
		`CREATE TRIGGER r_boom BEFORE INSERT ON r WHEN NEW.note = 'boom' BEGIN SELECT RAISE(ABORT, 'no boom here'); END`,
	},
}

// refusedCases are single rows the target refuses, with the rule each
// engine must name.
var refusedCases = []struct {
	what string
	row  []any
	rule map[string]string
}{
	{"orphan", []any{int64(10), int64(999), "x10", int64(1), nil},
		map[string]string{Postgres: "r_up_fk", MySQL: "r_up_fk", SQLite: "FOREIGN KEY"}},
	{"duplicate", []any{int64(11), nil, "taken", int64(1), nil},
		map[string]string{Postgres: "r_code_uq", MySQL: "r_code_uq", SQLite: "UNIQUE r.code"}},
	{"check", []any{int64(12), nil, "x12", int64(-5), nil},
		map[string]string{Postgres: "r_qty_ck", MySQL: "r_qty_ck", SQLite: "CHECK r_qty_ck"}},
	{"not null", []any{int64(13), nil, "x13", nil, nil},
		map[string]string{Postgres: "NOT NULL on qty", MySQL: "NOT NULL on qty", SQLite: "NOT NULL r.qty"}},
	{"trigger", []any{int64(14), nil, "x14", int64(1), "boom"},
		map[string]string{Postgres: "trigger function r_no_boom", MySQL: "a trigger", SQLite: "a trigger"}},
}

// refusedTargets opens every engine with table r.
func refusedTargets(t *testing.T) map[string]DB {
	sqlite := openTestSQLite(t, newSQLiteFile(t))
	out := map[string]DB{SQLite: sqlite, Postgres: pgTestDB(t), MySQL: mysqlTestDB(t)}
	for driver, d := range out {
		mustExec(t, d, refusedDDL[driver]...)
		mustExec(t, d, `INSERT INTO r (id, up, code, qty) VALUES (1, NULL, 'taken', 1)`)
	}
	return out
}

// TestRefusedNamesTheRule: a row refused by each kind of rule fails
// LoadBatch with an error Refused recognises, naming the rule.
func TestRefusedNamesTheRule(t *testing.T) {
	cols := []string{"id", "up", "code", "qty", "note"}
	for driver, d := range refusedTargets(t) {
		tb := mustTable(t, d, "r")
		for _, c := range refusedCases {
			err := d.LoadBatch(testCtx(t), tb, cols, [][]any{c.row}, Marker{CopyID: "c", Table: "r"})
			want, enforced := c.rule[driver]
			if !enforced {
				if err != nil {
					t.Errorf("%s %s: %v", driver, c.what, err)
				}
				continue
			}
			rule, ok := Refused(err)
			if !ok || rule != want {
				t.Errorf("%s %s: Refused(%v) = %q, %v; want %q", driver, c.what, err, rule, ok, want)
			}
		}
		if _, ok := Refused(errors.New("syntax error")); ok {
			t.Errorf("a plain error counts as refused")
		}
		_, err := d.SQL().Exec("INSERT INTO no_such_table VALUES (1)")
		if _, ok := Refused(err); ok || err == nil {
			t.Errorf("%s: a missing table counts as refused: %v", driver, err)
		}
	}
}

// TestLoadRefusingKeepsTheRest: LoadRefusing writes every row but the
// refused ones, in order (a row may refer to an earlier row of its batch),
// hands the refused ones to settle by index, and commits settle's marker.
func TestLoadRefusingKeepsTheRest(t *testing.T) {
	cols := []string{"id", "up", "code", "qty", "note"}
	for driver, d := range refusedTargets(t) {
		tb := mustTable(t, d, "r")
		var rows [][]any
		wantRefused := map[int]string{}
		for i := range 40 {
			id := int64(100 + i)
			row := []any{id, nil, "k" + strings.Repeat("x", i%3) + string(rune('a'+i)), int64(i), nil}
			if i > 0 {
				row[1] = id - 1 // the previous row of the same batch
			}
			rows = append(rows, row)
		}
		for _, i := range []int{3, 17, 18, 39} {
			rows[i][3] = int64(-1)
			wantRefused[i] = "qty"
		}
		rows[25][4] = "boom"
		wantRefused[25] = "boom"
		// A row right after a refused one refers to the batch's first row
		// instead, so that only the rows above are refused.
		for i := range rows {
			if i > 0 && wantRefused[i-1] != "" {
				rows[i][1] = int64(100)
			}
		}
		var got []Refusal
		mark := Marker{CopyID: "c", Table: "r", Read: 40, Written: 35, Rejected: 5}
		err := d.LoadRefusing(testCtx(t), tb, cols, rows, func(rs []Refusal) (Marker, error) {
			got = rs
			return mark, nil
		})
		if err != nil {
			t.Fatalf("%s: %v", driver, err)
		}
		if len(got) != len(wantRefused) {
			t.Fatalf("%s: refused %+v, want rows %v", driver, got, wantRefused)
		}
		for j, r := range got {
			if _, ok := wantRefused[r.Index]; !ok || (j > 0 && got[j-1].Index >= r.Index) || r.Err == nil {
				t.Errorf("%s: refusal %d: %+v, want rows %v in order", driver, j, r, wantRefused)
			}
		}
		var n int64
		if err := d.SQL().QueryRow("SELECT count(*) FROM r WHERE id >= 100").Scan(&n); err != nil || n != 35 {
			t.Errorf("%s: %d rows written (%v), want 35", driver, n, err)
		}
		mustProgress(t, d, mark)
	}
}

// TestLoadRefusingDeferredConstraint: a PostgreSQL foreign key checked at
// COMMIT fails LoadBatch there, as a refusal; LoadRefusing checks it at
// each insert instead, so it finds the row.
func TestLoadRefusingDeferredConstraint(t *testing.T) {
	d := pgTestDB(t)
	mustExec(t, d, `CREATE TABLE p (id BIGINT PRIMARY KEY)`, `INSERT INTO p VALUES (1)`,
		`CREATE TABLE c (id BIGINT PRIMARY KEY, pid BIGINT CONSTRAINT c_pid_fk REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)`)
	tb := mustTable(t, d, "c")
	cols := []string{"id", "pid"}
	rows := [][]any{{int64(1), int64(1)}, {int64(2), int64(7)}, {int64(3), int64(1)}}
	err := d.LoadBatch(testCtx(t), tb, cols, rows, Marker{CopyID: "c", Table: "c"})
	if rule, ok := Refused(err); !ok || rule != "c_pid_fk" {
		t.Fatalf("LoadBatch: %v (rule %q, refused %v)", err, rule, ok)
	}
	var got []Refusal
	err = d.LoadRefusing(testCtx(t), tb, cols, rows, func(rs []Refusal) (Marker, error) {
		got = rs
		return Marker{CopyID: "c", Table: "c", Read: 3, Written: 2, Rejected: 1}, nil
	})
	if err != nil || len(got) != 1 || got[0].Index != 1 || got[0].Rule != "c_pid_fk" {
		t.Fatalf("LoadRefusing: %v, refused %+v", err, got)
	}
	if !strings.Contains(got[0].Message(), "is not present in table") {
		t.Errorf("the message lacks the server's detail: %q", got[0].Message())
	}
}
