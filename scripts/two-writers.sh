#!/usr/bin/env bash
# Two writers, one journal: the demonstration by hand, on SQLite.
#
# Builds tightrope, copies ROWS rows (default 100000; one in 200 is rejected)
# into a target table WITHOUT a primary key, SIGKILLs the run mid-copy,
# then starts two `tightrope resume` at the same instant. Exactly one may
# write: the other must exit 1 naming the holder. Prints who won and the
# counts, and exits non-zero if the invariant breaks: every source row in
# the target or the rejects exactly once, one run_finished, the chain OK.
#
#   scripts/two-writers.sh            # needs go and sqlite3
#   ROWS=200000 KEEP=1 scripts/two-writers.sh
set -euo pipefail

ROWS=${ROWS:-100000}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/two-writers.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then trap 'rm -rf "$work"' EXIT; else echo "work directory: $work"; fi
command -v sqlite3 >/dev/null || { echo "two-writers: sqlite3 is needed to seed the databases" >&2; exit 2; }

echo "== build"
(cd "$repo" && go build -o "$work/tightrope" .)
tr="$work/tightrope"
cd "$work"

echo "== seed $ROWS rows (the target table has no primary key: duplicates would stay)"
sqlite3 src.db "CREATE TABLE items (id INTEGER PRIMARY KEY, qty TEXT, name TEXT);
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS - 1)
  INSERT INTO items SELECT i * 3 + 1, CASE WHEN i % 200 = 7 THEN 'N/A' ELSE CAST(i % 1000 AS TEXT) END, 'item ' || i FROM n;"
sqlite3 dst.db "CREATE TABLE items (id INTEGER, qty INTEGER, name TEXT);"
cat > two.yaml <<'EOF'
version: 1
name: Two writers
migration_id: MIG-TWO-WRITERS
decision_maker: tester
connections:
  source: { driver: sqlite, path: src.db }
  target: { driver: sqlite, path: dst.db }
triggers: { reject_rate: 5% }
steps:
  - { id: copy, kind: copy, tables: [items], batch: 100 }
  - { id: check, kind: verify, tables: [items] }
EOF
j="$work/two.journal"
flags=(--plain --auto-decide continue --as tester)

echo "== run, then kill -9 once a quarter is copied"
"$tr" run two.yaml "${flags[@]}" --journal "$j" >run.out 2>&1 &
run=$!
for _ in $(seq 600); do
  n=$(sqlite3 -cmd ".timeout 5000" dst.db "SELECT count(*) FROM items")
  ((n >= ROWS / 4)) && break
  kill -0 $run 2>/dev/null || break
  sleep 0.05
done
if ! kill -9 $run 2>/dev/null; then
  echo "two-writers: the run ended before it could be killed; try a larger ROWS" >&2
  cat run.out >&2
  exit 2
fi
wait $run 2>/dev/null || true
echo "killed pid $run with $(sqlite3 -cmd ".timeout 5000" dst.db "SELECT count(*) FROM items") rows in the target"

echo "== two resumes at the same instant"
"$tr" resume "$j" "${flags[@]}" >a.out 2>&1 &
a=$!
"$tr" resume "$j" "${flags[@]}" >b.out 2>&1 &
b=$!
ca=0 cb=0
wait $a || ca=$?
wait $b || cb=$?
echo "resume pid $a exited $ca; resume pid $b exited $cb"

fail=0
check() { # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; fail=1; fi
}
if ((ca == 0)); then won=$a lost=$b lostcode=$cb lostout=b.out; else won=$b lost=$a lostcode=$ca lostout=a.out; fi
echo "winner: pid $won"
echo "refused: pid $lost: $(head -n 1 $lostout)"
check "exactly one resume finished (exit 0) and one was refused (exit 1)" \
  test "$(printf '%s\n' $ca $cb | sort | tr '\n' ' ')" = "0 1 "
check "the refusal names the winner (pid $won, host $(hostname))" \
  grep -q "held by another writer: pid $won on host $(hostname)" $lostout

q() { sqlite3 -cmd ".timeout 5000" dst.db "ATTACH '$work/src.db' AS s; ATTACH '$j' AS j; $1"; }
# The target has no key (so duplicates would stay); index it now, after the
# run, or the "missing" check below is quadratic (minutes at 100,000 rows).
q "CREATE INDEX IF NOT EXISTS main.check_items_id ON items(id)" >/dev/null
source_rows=$(q "SELECT count(*) FROM s.items")
target_rows=$(q "SELECT count(*) FROM main.items")
target_keys=$(q "SELECT count(DISTINCT id) FROM main.items")
rejected=$(q "SELECT count(*) FROM j.rejects WHERE tbl = 'items'")
rejected_keys=$(q "SELECT count(DISTINCT json_extract(key_json, '\$.id')) FROM j.rejects WHERE tbl = 'items'")
both=$(q "SELECT count(*) FROM j.rejects r JOIN main.items t ON t.id = json_extract(r.key_json, '\$.id')")
missing=$(q "SELECT count(*) FROM s.items x WHERE NOT EXISTS (SELECT 1 FROM main.items t WHERE t.id = x.id)
  AND NOT EXISTS (SELECT 1 FROM j.rejects r WHERE json_extract(r.key_json, '\$.id') = x.id)")
finished=$(q "SELECT count(*) FROM j.events WHERE type = 'run_finished'")
echo "source $source_rows · target $target_rows ($target_keys distinct keys) · rejected $rejected ($rejected_keys distinct keys)" \
  "· in both $both · missing $missing · run_finished $finished"
check "no key twice in the target" test "$target_rows" = "$target_keys"
check "no key rejected twice" test "$rejected" = "$rejected_keys"
check "target + rejected = source" test $((target_rows + rejected)) = "$source_rows"
check "no key both written and rejected, none missing" test "$both$missing" = "00"
check "exactly one run_finished" test "$finished" = 1
check "journal verify" "$tr" journal verify "$j"
exit $fail
