#!/usr/bin/env bash
# bench/safety.sh: the safety net's benchmarks, in one run, ratios printed.
#   1. snapshot + restore (including tightrope's verification) vs the native tools by hand
#      (pg_dump -Fc + pg_restore; mysqldump + mysql), same 200k-row table, back to back;
#   2. cross-engine verify of a 1M-row table (MySQL -> PostgreSQL) vs reading both sides once
#      in key order with the same adapters.
# Needs the two servers of bench/README.md. Quote the ratios, not the seconds: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
export TIGHTROPE_TEST_PG_DSN="${TIGHTROPE_TEST_PG_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
export TIGHTROPE_TEST_MYSQL_DSN="${TIGHTROPE_TEST_MYSQL_DSN:-root@tcp(127.0.0.1:3306)/test}"
echo "== snapshot + restore vs native tools (targets: ratio <= 1.1) =="
TIGHTROPE_SNAPSHOT_MEASURE=1 TIGHTROPE_SNAPSHOT_MEASURE_ROUNDS="${ROUNDS:-5}" \
  go test -count=1 -timeout 30m -run '^TestMeasure$' -v ./engine/snapshot/ | grep -vE '^(=== RUN|--- PASS|PASS|ok )'
echo "== verify 1M rows MySQL -> PostgreSQL vs reading both sides (target: ratio <= 1.5) =="
TIGHTROPE_BENCH_VERIFY=1 TIGHTROPE_BENCH_ROUNDS="${ROUNDS:-5}" \
  go test -count=1 -timeout 30m -run '^TestBenchVerify1M$' -v ./engine/verify/ | grep -vE '^(=== RUN|--- PASS|PASS|ok )'
