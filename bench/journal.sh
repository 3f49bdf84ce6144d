#!/usr/bin/env bash
# The journal at scale (issue 11, item 3): generate a realistic journal of
# a million events (a real run's event mix: 1,000 steps with their log
# lines, progress samples of 20 tables, 100,000 reject rows in bound
# batches, casts, triggers and decisions, gates, notes, notifications,
# warnings, a verify), written through the journal's own append API so the
# chain and the reject digests are real; then time verify, fold, the report
# in md, html and json, and the rejects export, each with its peak RSS
# (/usr/bin/time -v), and print them against the targets. The CPU column
# (user + system) tells a busy machine from a slow command.
#
#   bench/journal.sh                 # 1,000,000 events, 100,000 rejects
#   EVENTS=100000 REJECTS=10000 bench/journal.sh
#   STRICT=1 bench/journal.sh        # exit 3 when a target is missed
#   WORK=/tmp/jbench bench/journal.sh  # keep (and reuse) the journal there
#   TIGHTROPE=BIN bench/journal.sh   # time that binary instead of building the checkout (A/B)
#
# Targets: verify < 3 s, fold < 2 s, each report < 5 s, rejects export
# < 2 s, every one under 150 MB RSS.
set -euo pipefail
cd "$(dirname "$0")/.."

events=${EVENTS:-1000000}
rejects=${REJECTS:-100000}
steps=${STEPS:-1000}
tables=${TABLES:-20}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench/journal.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 2; }

if [ -n "${TIGHTROPE:-}" ]; then
	cp "$TIGHTROPE" "$work/tightrope" # bench/run.sh's binary, or an A/B comparison
else
	go build -o "$work/tightrope" .
fi
go build -o "$work/journalgen" ./bench/journalgen
j="$work/run-$events-$rejects-$steps-$tables.journal"
if [ ! -f "$j" ]; then
	"$work/journalgen" -events "$events" -rejects "$rejects" -steps "$steps" -tables "$tables" "$j"
fi
ls -lL "$j" | awk '{printf "journal: %s, %.0f MB\n", $NF, $5/1048576}'

missed=0
rows=()
# measure NAME TARGET_S TARGET_MB CMD...: runs CMD (stdout to a file), and
# records its wall time and peak RSS against the targets.
measure() {
	local name=$1 target_s=$2 target_mb=$3
	shift 3
	if ! /usr/bin/time -v "$@" >"$work/out.txt" 2>"$work/time.txt"; then
		echo "bench/journal.sh: $name failed:" >&2
		cat "$work/time.txt" >&2
		exit 1
	fi
	local wall rss cpu
	cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$work/time.txt")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$work/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
	local ok=yes
	if awk -v w="$wall" -v t="$target_s" -v r="$rss" -v m="$target_mb" 'BEGIN { exit !(w >= t || r >= m) }'; then
		ok=MISSED
		missed=1
	fi
	rows+=("$(printf '| %-12s | %7s s | < %s s | %7s s | %5s MB | < %s MB | %-6s |' "$name" "$wall" "$target_s" "$cpu" "$rss" "$target_mb" "$ok")")
}

tr="$work/tightrope"
measure "verify" 3 150 "$tr" journal verify "$j"
measure "fold" 2 150 "$tr" journal state "$j"
measure "report md" 5 150 "$tr" report --format md -o "$work/report.md" "$j"
measure "report html" 5 150 "$tr" report --format html -o "$work/report.html" "$j"
measure "report json" 5 150 "$tr" report --format json -o "$work/report.json" "$j"
measure "rejects csv" 2 150 "$tr" rejects --format csv "$j"
measure "rejects json" 2 150 "$tr" rejects --format json "$j"

echo
echo "journal of $events events, $rejects reject rows, $steps steps, $tables tables ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| step         |    time   | target |  CPU time |  peak RSS | target   | ok     |"
echo "|--------------|-----------|--------|-----------|-----------|----------|--------|"
printf '%s\n' "${rows[@]}"
if [ "$missed" = 1 ] && [ "${STRICT:-0}" = 1 ]; then
	echo "bench/journal.sh: a target was missed (STRICT=1)" >&2
	exit 3
fi
