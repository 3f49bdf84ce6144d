#!/usr/bin/env bash
# bench/run.sh [ROWS] — tightrope's copy engine against the tools people use
# today, on one `orders` table of ROWS rows (default 1000000), each pair with
# the runbook as a user writes it (defaults: no batch, no parallel) and tuned:
#
#   MySQL/MariaDB → PostgreSQL   tightrope vs pgloader                      target ≥ 2.5x
#   SQLite        → PostgreSQL   tightrope vs pgloader                      target ≥ 2.5x
#   PostgreSQL    → PostgreSQL   tightrope vs psql \copy pipe               target ≥ 0.9x
#   PostgreSQL    → MySQL        tightrope vs psql csv | LOAD DATA LOCAL     target ≥ 0.8x
#   SQLite        → MySQL        tightrope vs sqlite3 csv | LOAD DATA LOCAL  target ≥ 0.8x
#   tightrope's peak RSS, per pair and runbook                              target ≤ 200 MB
#
# and, when the checkout has bench/journal.sh, the journal at scale.
# See bench/README.md. Environment knobs (all optional):
#   REPEAT=3        timed runs per tool and pair; the median is reported
#   BATCH=10000     the tuned runbook's batch size
#   PARALLEL=2      the tuned runbook's parallel (workers; one table is split into key ranges)
#   PAIRS="mysql-pg sqlite-pg pg-pg pg-my sqlite-my"  the pairs to time
#   INSERT_PATH=1   also time both runbooks into MySQL by multi-row INSERT (tightrope_load=insert)
#   PREVIOUS=BIN    also time the defaults runbook with this older binary (the previous defaults' row)
#   TUNE=1          also time tightrope alone over batch 2000/5000/10000 × parallel 1/2
#   KEEP=1          keep the work directory (logs, runbooks, journals, CSV, SQLite file)
#   JOURNAL=0       skip the journal at scale (bench/journal.sh; a minute or more) — copy pairs only
#   STRICT=1        exit 3 when a target is missed (default: exit 0 once measured)
#   TIGHTROPE=BIN   time this tightrope binary instead of building the checkout (A/B runs)
#   BENCH_SUFFIX=_x suffix of the bench's database names and lock (runs beside another bench)
#   BENCH_PG_HOST/BENCH_PG_PORT/BENCH_PG_USER, BENCH_MY_HOST/BENCH_MY_PORT/BENCH_MY_USER
#                   the servers (defaults 127.0.0.1:5432 postgres, 127.0.0.1:3306 root,
#                   trust / empty password)
set -euo pipefail

ROWS=${1:-1000000}
[[ $ROWS =~ ^[1-9][0-9]*$ ]] || { echo "usage: bench/run.sh [ROWS]  (ROWS a positive integer, default 1000000)" >&2; exit 2; }
REPEAT=${REPEAT:-3}
BATCH=${BATCH:-10000}
PARALLEL=${PARALLEL:-2}
[[ $REPEAT =~ ^[1-9][0-9]*$ && $BATCH =~ ^[1-9][0-9]*$ && $PARALLEL =~ ^[1-9][0-9]*$ ]] ||
  { echo "REPEAT, BATCH and PARALLEL must be positive integers" >&2; exit 2; }

PG_HOST=${BENCH_PG_HOST:-127.0.0.1} PG_PORT=${BENCH_PG_PORT:-5432} PG_USER=${BENCH_PG_USER:-postgres}
MY_HOST=${BENCH_MY_HOST:-127.0.0.1} MY_PORT=${BENCH_MY_PORT:-3306} MY_USER=${BENCH_MY_USER:-root}
SUFFIX=${BENCH_SUFFIX:-}
[[ $SUFFIX =~ ^[a-z0-9_]*$ ]] || { echo "BENCH_SUFFIX may hold only a-z, 0-9 and _" >&2; exit 2; }
MY_DB=tightrope_bench$SUFFIX MY_DST=tightrope_bench_dst$SUFFIX PG_SRC=tightrope_bench_src$SUFFIX PG_DST=tightrope_bench_dst$SUFFIX

cd "$(dirname "$0")/.."
# One run at a time: a second one would drop the first one's databases.
exec 9>"${TMPDIR:-/tmp}/tightrope-bench$SUFFIX.lock"
if command -v flock >/dev/null && ! flock -n 9; then
  echo "another bench/run.sh is running (lock ${TMPDIR:-/tmp}/tightrope-bench$SUFFIX.lock; BENCH_SUFFIX=_x runs beside it on databases of its own)" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/tightrope-bench.XXXXXX")
results=$work/results-latest.txt
mkdir -p "$work/logs"

say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '\nBENCH FAILED: %s\n' "$*" >&2
  FAILED=1
  exit 1
}
FAILED=0

PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
MYSQL=(mysql --protocol=tcp -h "$MY_HOST" -P "$MY_PORT" -u "$MY_USER" --default-character-set=utf8mb4)

# Everything this script creates is dropped on the way out, whatever happens.
cleanup() {
  local rc=$?
  set +e
  if command -v psql >/dev/null; then
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $PG_SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $PG_DST WITH (FORCE)" >/dev/null 2>&1
  fi
  if command -v mysql >/dev/null; then
    "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $MY_DB; DROP DATABASE IF EXISTS $MY_DST" >/dev/null 2>&1
  fi
  if [[ ${KEEP:-} == 1 ]]; then
    echo "work directory kept: $work" >&2
  elif ((rc != 0 || FAILED)); then
    echo "work directory kept for the post-mortem (logs/): $work" >&2
  else
    # Only the results survive, so that the printed path stays valid.
    find "$work" -mindepth 1 -maxdepth 1 ! -name results-latest.txt -exec rm -rf {} +
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. tools

need=()
PAIRS=${PAIRS:-mysql-pg sqlite-pg pg-pg pg-my sqlite-my}
if [[ " $PAIRS " == *" mysql-pg "* || " $PAIRS " == *" sqlite-pg "* ]]; then
  command -v pgloader >/dev/null || need+=(pgloader)
fi
command -v sqlite3 >/dev/null || need+=(sqlite3)
[[ -x /usr/bin/time ]] || need+=(time)
command -v psql >/dev/null || need+=(postgresql-client)
command -v mysql >/dev/null || need+=(mariadb-client)
if ((${#need[@]})); then
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  say "installing ${need[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >"$work/logs/apt.log" 2>&1 ||
    { tail -n 20 "$work/logs/apt.log" >&2; die "apt-get install ${need[*]} failed"; }
fi
[[ -n ${TIGHTROPE:-} ]] || command -v go >/dev/null || die "go is not on PATH (needed to build tightrope)"

"${PSQL[@]}" -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL does not answer at $PG_USER@$PG_HOST:$PG_PORT"
"${MYSQL[@]}" -e 'SELECT 1' >/dev/null 2>&1 || die "MariaDB/MySQL does not answer at $MY_USER@$MY_HOST:$MY_PORT"

if [[ -n ${TIGHTROPE:-} ]]; then
  say "using the prebuilt $TIGHTROPE"
  cp "$TIGHTROPE" "$work/tightrope"
else
  say "building tightrope"
  go build -o "$work/tightrope" . >"$work/logs/build.log" 2>&1 || { cat "$work/logs/build.log" >&2; die "go build failed"; }
fi
version=$("$work/tightrope" --version 2>/dev/null | head -n 1 || true)
if [[ -n ${PREVIOUS:-} ]]; then
  [[ -x $PREVIOUS ]] || die "PREVIOUS=$PREVIOUS is not an executable"
  cp "$PREVIOUS" "$work/tightrope-previous"
fi

# ---------------------------------------------------------------- 2. data

DDL_PG="CREATE TABLE orders (
  id          bigint PRIMARY KEY,
  customer_id bigint NOT NULL,
  sku         varchar(32) NOT NULL,
  qty         int NOT NULL,
  price       numeric(12,4) NOT NULL,
  status      varchar(16) NOT NULL,
  note        text NULL,
  created_at  timestamp NOT NULL
)"

say "generating $ROWS rows in PostgreSQL ($PG_SRC)"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $PG_SRC WITH (FORCE)" -c "DROP DATABASE IF EXISTS $PG_DST WITH (FORCE)" \
  -c "CREATE DATABASE $PG_SRC" 2>"$work/logs/pg-create.log" || { cat "$work/logs/pg-create.log" >&2; die "cannot create $PG_SRC"; }
# Deterministic: every column is a function of the id. 30% of the notes are
# NULL, 10% carry non-ASCII text, commas and double quotes, 10% an emoji.
"${PSQL[@]}" -d "$PG_SRC" >"$work/logs/generate.log" 2>&1 <<SQL || { cat "$work/logs/generate.log" >&2; die "data generation failed"; }
$DDL_PG;
INSERT INTO orders
SELECT i,
       (i * 7919) % 250000 + 1,
       'SKU-' || lpad(((i * 31) % 50000)::text, 6, '0'),
       (i % 20) + 1,
       round(((i * 104729) % 999999999999)::numeric / 10000, 4),
       (ARRAY['new','paid','packed','shipped','delivered','returned','cancelled'])[i % 7 + 1],
       CASE WHEN i % 10 < 3 THEN NULL
            WHEN i % 10 = 3 THEN 'Lieferung an Straße ' || i || ', Zürich — "Tür 2", bitte klingeln'
            WHEN i % 10 = 4 THEN 'gift, wrap it 🎁 #' || i
            ELSE 'note ' || md5(i::text) END,
       timestamp '2021-01-01 00:00:00' + i * interval '31.123457 seconds'
FROM generate_series(1::bigint, ${ROWS}::bigint) AS g(i);
VACUUM (ANALYZE) orders;
SQL

# One CSV feeds the other two engines: NULL is \N, timestamps carry all six
# fractional digits.
"${PSQL[@]}" -d "$PG_SRC" -c "\\copy (SELECT id, customer_id, sku, qty, price, status, note, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US') FROM orders ORDER BY id) TO '$work/orders.csv' WITH (FORMAT csv, NULL '\\N')"

DDL_MY="CREATE TABLE orders (
  id          BIGINT NOT NULL PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  sku         VARCHAR(32) NOT NULL,
  qty         INT NOT NULL,
  price       DECIMAL(12,4) NOT NULL,
  status      VARCHAR(16) NOT NULL,
  note        TEXT NULL,
  created_at  DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

say "loading MariaDB ($MY_DB)"
"${MYSQL[@]}" --local-infile=1 >"$work/logs/mysql-load.log" 2>&1 <<SQL || { cat "$work/logs/mysql-load.log" >&2; die "loading MariaDB failed"; }
DROP DATABASE IF EXISTS $MY_DB;
CREATE DATABASE $MY_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
USE $MY_DB;
$DDL_MY;
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
LOAD DATA LOCAL INFILE '$work/orders.csv' INTO TABLE orders CHARACTER SET utf8mb4
  FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '\\\\'
  LINES TERMINATED BY '\n'
  (id, customer_id, sku, qty, price, status, note, created_at);
ANALYZE TABLE orders;
SQL

say "loading SQLite ($work/orders.sqlite)"
# INTEGER PRIMARY KEY: SQLite's own spelling of a 64-bit key (the rowid).
sqlite3 -bail "$work/orders.sqlite" >"$work/logs/sqlite-load.log" 2>&1 <<SQL || { cat "$work/logs/sqlite-load.log" >&2; die "loading SQLite failed"; }
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE orders (
  id          INTEGER PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  sku         VARCHAR(32) NOT NULL,
  qty         INT NOT NULL,
  price       NUMERIC(12,4) NOT NULL,
  status      VARCHAR(16) NOT NULL,
  note        TEXT NULL,
  created_at  TIMESTAMP NOT NULL
);
CREATE TEMP TABLE orders_csv (id TEXT, customer_id TEXT, sku TEXT, qty TEXT, price TEXT, status TEXT, note TEXT, created_at TEXT);
BEGIN;
.import --csv $work/orders.csv orders_csv
INSERT INTO orders
  SELECT CAST(id AS INTEGER), CAST(customer_id AS INTEGER), sku, CAST(qty AS INTEGER), price, status, NULLIF(note, '\\N'), created_at
  FROM orders_csv ORDER BY CAST(id AS INTEGER);
COMMIT;
DROP TABLE orders_csv;
ANALYZE;
SQL

# The same canonical text of every row from each engine: identical sha256
# means identical data, value by value.
canon_pg() { # canon_pg DB [TABLE]
  "${PSQL[@]}" -d "$1" -At -F $'\t' -c "SET TimeZone = 'UTC'" -c "SELECT id, customer_id, sku, qty, price, status, coalesce(note, '<NULL>'), to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US') FROM ${2:-orders} ORDER BY id" | sha256sum | cut -c1-64
}
canon_my() { # canon_my [DB]
  "${MYSQL[@]}" -B -N --raw "${1:-$MY_DB}" -e "SELECT id, customer_id, sku, qty, price, status, coalesce(note, '<NULL>'), DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') FROM orders ORDER BY id" | sha256sum | cut -c1-64
}
canon_lite() {
  sqlite3 -separator $'\t' "$work/orders.sqlite" "SELECT id, customer_id, sku, qty, printf('%.4f', price), status, coalesce(note, '<NULL>'), created_at FROM orders ORDER BY id" | sha256sum | cut -c1-64
}
count_pg() { "${PSQL[@]}" -d "$1" -Atc "SELECT count(*) FROM ${2:-orders}"; }

n_pg=$(count_pg "$PG_SRC")
n_my=$("${MYSQL[@]}" -B -N "$MY_DB" -e 'SELECT COUNT(*) FROM orders')
n_lite=$(sqlite3 "$work/orders.sqlite" 'SELECT count(*) FROM orders')
[[ $n_pg == "$ROWS" && $n_my == "$ROWS" && $n_lite == "$ROWS" ]] ||
  die "source row counts differ from $ROWS: PostgreSQL $n_pg, MariaDB $n_my, SQLite $n_lite"
src_sum=$(canon_pg "$PG_SRC")
my_sum=$(canon_my)
lite_sum=$(canon_lite)
[[ $src_sum == "$my_sum" && $src_sum == "$lite_sum" ]] ||
  die "the three sources hold different data: PostgreSQL $src_sum, MariaDB $my_sum, SQLite $lite_sum"
say "sources hold identical data: $ROWS rows each, sha256 $src_sum"

# ---------------------------------------------------------------- 3. runs

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

export BENCH_MYSQL_DSN="$MY_USER@tcp($MY_HOST:$MY_PORT)/$MY_DB"
export BENCH_PG_SRC_DSN="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_SRC?sslmode=disable"
export BENCH_PG_DST_DSN="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DST?sslmode=disable"
export BENCH_MY_DST_DSN="$MY_USER@tcp($MY_HOST:$MY_PORT)/$MY_DST"
export BENCH_MY_DST_INSERT_DSN="$MY_USER@tcp($MY_HOST:$MY_PORT)/$MY_DST?tightrope_load=insert"

# runbook PAIR SOURCE-CONNECTION TARGET-CONNECTION BATCH PARALLEL → path.
# BATCH "-" writes the runbook as a user writes it: no batch, no parallel.
runbook() {
  local f="$work/$1-b$4-p$5.yaml" tuning=""
  [[ $4 == - ]] || tuning=", batch: $4, parallel: $5"
  cat >"$f" <<YAML
version: 1
name: bench $1
migration_id: BENCH-$1
decision_maker: bench
connections:
  source: $2
  target: $3
steps:
  - { id: copy, kind: copy, tables: [orders]$tuning }
YAML
  echo "$f"
}

# A fresh, empty target database for every timed run; the checkpoint keeps
# the previous run's dirty pages from being flushed on the next run's time.
fresh_dst() { # fresh_dst pretable|bare
  {
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $PG_DST WITH (FORCE)" -c "CREATE DATABASE $PG_DST"
    case $1 in
    pretable) "${PSQL[@]}" -d "$PG_DST" -c "$DDL_PG" ;;
    pgloader) "${PSQL[@]}" -d "$PG_DST" -c "CREATE SCHEMA pgloader" ;;
    esac
    "${PSQL[@]}" -d postgres -c CHECKPOINT
  } >"$work/logs/fresh-dst.log" 2>&1 || { cat "$work/logs/fresh-dst.log" >&2; die "cannot recreate $PG_DST"; }
}

# A fresh MariaDB target database with the orders table (the source's DDL).
fresh_my_dst() {
  "${MYSQL[@]}" >"$work/logs/fresh-my-dst.log" 2>&1 <<SQL || { cat "$work/logs/fresh-my-dst.log" >&2; die "cannot recreate $MY_DST"; }
DROP DATABASE IF EXISTS $MY_DST;
CREATE DATABASE $MY_DST CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
USE $MY_DST;
$DDL_MY;
SQL
}

# timed LOG CMD... — runs CMD under /usr/bin/time; sets T_S (wall seconds), T_KB (peak RSS)
# and T_CPU (user + system seconds).
timed() {
  local log=$1
  shift
  if ! /usr/bin/time -f '%e %M %U %S' -o "$work/time.out" "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "command failed (log: $log): $*"
  fi
  local user sys
  read -r T_S T_KB user sys < <(tail -n 1 "$work/time.out")
  T_CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}

# The target engine of a pair (its name ends in -pg or -my).
target_of() { [[ $1 == *-my ]] && echo mysql || echo postgres; }

run_no=0
# tightrope_run PAIR CONFIG — CONFIG is tuned, defaults, insert or
# insert-tuned (the same two by multi-row INSERT into MySQL), or previous
# (the defaults run by the PREVIOUS binary). Sets T_S, T_KB, T_CPU; verifies the target.
tightrope_run() {
  local pair=$1 config=$2 rb log b=- p=- dst n sum
  [[ $config == *tuned ]] && b=$BATCH p=$PARALLEL
  if [[ $(target_of "$pair") == mysql ]]; then
    dst="{ driver: mysql, dsn_env: BENCH_MY_DST_DSN }"
    [[ $config == insert* ]] && dst="{ driver: mysql, dsn_env: BENCH_MY_DST_INSERT_DSN }"
    fresh_my_dst
  else
    dst="{ driver: postgres, dsn_env: BENCH_PG_DST_DSN }"
    fresh_dst pretable
  fi
  rb=$(runbook "$pair-$config" "${source[$pair]}" "$dst" "$b" "$p")
  run_no=$((run_no + 1))
  log="$work/logs/$run_no-tightrope-$pair-$config.log"
  local bin=$work/tightrope
  [[ $config == previous ]] && bin=$work/tightrope-previous
  timed "$log" "$bin" run "$rb" --plain --auto-decide continue --as bench --journal "$work/journal-$run_no.db"
  grep -Eq "^orders +read $ROWS +written $ROWS +rejected 0 +ok\$" "$log" ||
    { tail -n 30 "$log" >&2; die "tightrope $pair ($config): the summary is not 'orders read $ROWS written $ROWS rejected 0 ok' (log: $log)"; }
  if [[ $(target_of "$pair") == mysql ]]; then
    n=$("${MYSQL[@]}" -B -N "$MY_DST" -e 'SELECT COUNT(*) FROM orders')
    sum=$(canon_my "$MY_DST")
  else
    n=$(count_pg "$PG_DST")
    sum=$(canon_pg "$PG_DST")
  fi
  [[ $n == "$ROWS" ]] || die "tightrope $pair ($config): the target holds $n rows, not $ROWS (log: $log)"
  [[ $sum == "$src_sum" ]] || die "tightrope $pair ($config): the target's rows differ from the source's (sha256 $sum, source $src_sum; log: $log)"
}

# The load half of the pipes into MariaDB: CSV on stdin, NULL as \N.
read -r -d '' my_load_stdin <<'SQL' || true
LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE orders CHARACTER SET utf8mb4
  FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '\\' LINES TERMINATED BY '\n'
  (id, customer_id, sku, qty, price, status, note, created_at)
SQL

# peer_run PAIR — sets T_S; verifies the target's row count.
peer_run() {
  local log n table=pgloader.orders
  run_no=$((run_no + 1))
  log="$work/logs/$run_no-peer-$1.log"
  case $1 in
  mysql-pg)
    fresh_dst bare
    cat >"$work/mysql.load" <<LOAD
LOAD DATABASE
  FROM mysql://$MY_USER@$MY_HOST:$MY_PORT/$MY_DB
  INTO postgresql://$PG_USER@$PG_HOST:$PG_PORT/$PG_DST
  INCLUDING ONLY TABLE NAMES MATCHING 'orders'
  ALTER SCHEMA '$MY_DB' RENAME TO 'pgloader';
LOAD
    timed "$log" pgloader --root-dir "$work/pgloader" "$work/mysql.load"
    ;;
  sqlite-pg)
    fresh_dst pgloader
    cat >"$work/sqlite.load" <<LOAD
LOAD DATABASE
  FROM sqlite://$work/orders.sqlite
  INTO postgresql://$PG_USER@$PG_HOST:$PG_PORT/$PG_DST
  INCLUDING ONLY TABLE NAMES LIKE 'orders'
  ALTER TABLE NAMES MATCHING 'orders' SET SCHEMA 'pgloader';
LOAD
    timed "$log" pgloader --root-dir "$work/pgloader" "$work/sqlite.load"
    ;;
  pg-pg)
    fresh_dst pretable
    table=orders
    local out="${PSQL[*]} -d $PG_SRC -c '\\copy orders to stdout'"
    local in="${PSQL[*]} -d $PG_DST -c '\\copy orders from stdin'"
    timed "$log" bash -o pipefail -c "$out | $in"
    ;;
  pg-my | sqlite-my)
    # psql's (or sqlite3's) CSV piped into mysql's LOAD DATA LOCAL INFILE, into
    # the same pre-created table, under the same strict sql_mode.
    fresh_my_dst
    local pipe="$work/pipe-$1.sh"
    {
      echo 'set -euo pipefail'
      if [[ $1 == pg-my ]]; then
        printf '%q ' "${PSQL[@]}" -d "$PG_SRC" -c "\\copy orders to stdout with (format csv, null '\\N')"
      else
        printf '%q ' sqlite3 -csv -nullvalue '\N' "$work/orders.sqlite" 'SELECT * FROM orders'
      fi
      printf '| '
      printf '%q ' "${MYSQL[@]}" --local-infile=1 "$MY_DST" -e "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'; $my_load_stdin"
      echo
    } >"$pipe"
    timed "$log" bash "$pipe"
    n=$("${MYSQL[@]}" -B -N "$MY_DST" -e 'SELECT COUNT(*) FROM orders')
    [[ $n == "$ROWS" ]] || die "peer $1: the target holds $n rows, not $ROWS (log: $log)"
    PEER_SUM=$(canon_my "$MY_DST")
    return
    ;;
  esac
  n=$(count_pg "$PG_DST" "$table")
  [[ $n == "$ROWS" ]] || die "peer $1: the target holds $n rows, not $ROWS (log: $log)"
  PEER_SUM=$(canon_pg "$PG_DST" "$table")
}

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

read -r -a pairs <<<"$PAIRS"
declare -A source=(
  [mysql-pg]="{ driver: mysql, dsn_env: BENCH_MYSQL_DSN }"
  [sqlite-pg]="{ driver: sqlite, path: $work/orders.sqlite }"
  [pg-pg]="{ driver: postgres, dsn_env: BENCH_PG_SRC_DSN }"
  [pg-my]="{ driver: postgres, dsn_env: BENCH_PG_SRC_DSN }"
  [sqlite-my]="{ driver: sqlite, path: $work/orders.sqlite }"
)
declare -A label=([mysql-pg]="MySQL->PostgreSQL" [sqlite-pg]="SQLite->PostgreSQL" [pg-pg]="PostgreSQL->PostgreSQL"
  [pg-my]="PostgreSQL->MySQL" [sqlite-my]="SQLite->MySQL")
declare -A peer=([mysql-pg]="pgloader" [sqlite-pg]="pgloader" [pg-pg]="psql \\copy pipe"
  [pg-my]="psql|LOAD DATA pipe" [sqlite-my]="sqlite3|LOAD DATA")
# The issue's targets, for the runbook as a user writes it (no batch, no parallel).
declare -A target=([mysql-pg]=2.5 [sqlite-pg]=2.5 [pg-pg]=0.9 [pg-my]=0.8 [sqlite-my]=0.8)
for pair in "${pairs[@]}"; do
  [[ -n ${label[$pair]:-} ]] || die "unknown pair '$pair' in PAIRS (known: mysql-pg sqlite-pg pg-pg pg-my sqlite-my)"
done
declare -A t_tr t_peer cpu_tr kb_tr peer_note

for pair in "${pairs[@]}"; do
  configs=(tuned defaults)
  if [[ -n ${PREVIOUS:-} ]]; then configs+=(previous); fi
  if [[ ${INSERT_PATH:-} == 1 && $(target_of "$pair") == mysql ]]; then configs+=(insert insert-tuned); fi
  declare -A times=() cpus=()
  peer_times=()
  for ((r = 1; r <= REPEAT; r++)); do
    # Rotate who goes first, so no one always inherits the others' leftovers.
    order=("${configs[@]}" peer)
    shift_by=$(((r - 1) % ${#order[@]}))
    order=("${order[@]:shift_by}" "${order[@]:0:shift_by}")
    for who in "${order[@]}"; do
      if [[ $who == peer ]]; then
        peer_run "$pair"
        peer_times+=("$T_S")
        if [[ $PEER_SUM == "$src_sum" ]]; then peer_note[$pair]=""; else peer_note[$pair]="*"; fi
        say "$pair run $r/$REPEAT: ${peer[$pair]} ${T_S}s"
      else
        tightrope_run "$pair" "$who"
        times[$who]+="$T_S "
        cpus[$who]+="$T_CPU "
        if ((T_KB > ${kb_tr[$pair/$who]:-0})); then kb_tr[$pair/$who]=$T_KB; fi
        say "$pair run $r/$REPEAT: tightrope $who ${T_S}s (CPU ${T_CPU}s), peak RSS $((T_KB / 1024)) MB (target rows verified)"
      fi
    done
  done
  for c in "${configs[@]}"; do
    # shellcheck disable=SC2086 # the lists of times are meant to split
    t_tr[$pair/$c]=$(median ${times[$c]})
    # shellcheck disable=SC2086
    cpu_tr[$pair/$c]=$(median ${cpus[$c]})
  done
  t_peer[$pair]=$(median "${peer_times[@]}")
  unset times cpus
done

tune_lines=()
if [[ ${TUNE:-} == 1 ]]; then
  # Rounds outside, configurations inside: the machine's noise spreads over
  # every configuration instead of landing on one.
  tune_configs=("2000 1" "2000 2" "5000 1" "5000 2" "10000 1" "10000 2")
  declare -A tune_t tune_kb
  for pair in "${pairs[@]}"; do
    for ((r = 1; r <= REPEAT; r++)); do
      for c in "${tune_configs[@]}"; do
        read -r b p <<<"$c"
        BATCH=$b PARALLEL=$p tightrope_run "$pair" tuned
        tune_t[$pair/$b/$p]+="$T_S "
        if ((T_KB > ${tune_kb[$pair/$b/$p]:-0})); then tune_kb[$pair/$b/$p]=$T_KB; fi
        say "tune $pair batch $b parallel $p run $r/$REPEAT: ${T_S}s, peak RSS $((T_KB / 1024)) MB"
      done
    done
    for c in "${tune_configs[@]}"; do
      read -r b p <<<"$c"
      # shellcheck disable=SC2086 # the list of times is meant to split
      tune_lines+=("$(printf '%-22s batch %-5s parallel %s  median %6.2fs  peak RSS %4d MB  (runs: %s)' \
        "${label[$pair]}" "$b" "$p" "$(median ${tune_t[$pair/$b/$p]})" "$((tune_kb[$pair/$b/$p] / 1024))" "${tune_t[$pair/$b/$p]% }")")
    done
  done
fi

# ---------------------------------------------------------------- journal at scale

# bench/journal.sh (the journal's own benchmark: a 1M-event journal verified,
# folded and reported, with peak RSS) runs here when the checkout has it.
journal_lines=()
if [[ -f bench/journal.sh && ${JOURNAL:-1} != 0 ]]; then
  say "journal at scale: bench/journal.sh"
  if TIGHTROPE="$work/tightrope" bash bench/journal.sh >"$work/journal-bench.txt" 2>"$work/logs/journal-bench.log"; then
    mapfile -t journal_lines <"$work/journal-bench.txt"
  else
    tail -n 20 "$work/logs/journal-bench.log" >&2
    die "bench/journal.sh failed (log: $work/logs/journal-bench.log)"
  fi
fi

# ---------------------------------------------------------------- 4. report

missed=0
rows_out=()
for pair in "${pairs[@]}"; do
  for c in tuned defaults previous insert insert-tuned; do
    [[ -n ${t_tr[$pair/$c]:-} ]] || continue
    line=$(awk -v n="$ROWS" -v a="${t_tr[$pair/$c]}" -v b="${t_peer[$pair]}" -v want="${target[$pair]}" -v kb="${kb_tr[$pair/$c]}" 'BEGIN {
      ra = n / a; rb = n / b; ratio = ra / rb; mb = kb / 1024
      printf "%11.2f %8.2f %14.0f %14.0f %6.2fx %8s %4s %7.1f %s", a, b, ra, rb, ratio, sprintf(">= %.1fx", want),
        (ratio + 1e-9 >= want ? "PASS" : "FAIL"), mb, (mb <= 200 ? "PASS" : "FAIL") }')
    # The targets are the issue's, for the runbook as a user writes it.
    if [[ $c == defaults && $line == *FAIL* ]]; then missed=1; fi
    rows_out+=("$(printf '%-22s %-12s %-19s %s' "${label[$pair]}" "$c" "${peer[$pair]}${peer_note[$pair]:-}" "$line")")
  done
done

{
  printf 'tightrope copy benchmark: %s rows, %s\n' "$ROWS" "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf '%s (tuned: batch %s, parallel %s; defaults: no batch, no parallel); median of %s runs per tool; %s cores, load average %s before, %s after\n' \
    "${version:-tightrope ?}" "$BATCH" "$PARALLEL" "$REPEAT" "$(nproc)" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
  printf 'pgloader %s; PostgreSQL %s; MariaDB %s; SQLite %s\n' \
    "$(pgloader --version 2>/dev/null | head -n 1 | sed 's/^pgloader version //; s/"//g')" \
    "$("${PSQL[@]}" -d postgres -Atc 'SHOW server_version' | cut -d' ' -f1)" \
    "$("${MYSQL[@]}" -B -N -e 'SELECT VERSION()')" "$(sqlite3 --version | cut -d' ' -f1)"
  echo
  printf '%-22s %-12s %-19s %11s %8s %14s %14s %7s %8s %4s %7s %s\n' pair runbook peer "tightrope s" "peer s" "tightrope r/s" "peer r/s" ratio target "" "RSS MB" "<=200"
  printf '%s\n' "${rows_out[@]}"
  echo
  echo "ratio = tightrope rows/s / peer rows/s (above 1: tightrope is faster). Times are wall-clock seconds"
  echo "of the whole command: start-up, catalog, copy, commit (pgloader also creates its table and index)."
  echo "runbook: tuned = batch $BATCH, parallel $PARALLEL; defaults = no batch, no parallel (as a user writes it;"
  echo "the targets are judged on it); insert, insert-tuned = the same into MySQL by multi-row INSERT"
  echo "(tightrope_load=insert) instead of LOAD DATA LOCAL INFILE; previous = the defaults runbook run by PREVIOUS=${PREVIOUS:-}."
  echo "RSS MB = tightrope's peak resident memory over its runs of that row."
  echo "Every tightrope run was checked: its summary (read = written, 0 rejected), the target's row count,"
  echo "and the sha256 of every row's canonical text, equal to the source's."
  printf 'tightrope CPU (user + system, median):'
  for pair in "${pairs[@]}"; do
    for c in tuned defaults previous insert insert-tuned; do
      [[ -n ${cpu_tr[$pair/$c]:-} ]] && printf ' %s %s %ss;' "${label[$pair]}" "$c" "${cpu_tr[$pair/$c]}"
    done
  done
  echo
  for pair in "${pairs[@]}"; do
    if [[ -n ${peer_note[$pair]:-} ]]; then
      echo "* ${peer[$pair]} (${label[$pair]}): right row count, but its rows do not read back identical to the source."
    fi
  done
  if ((${#journal_lines[@]})); then
    echo
    echo "journal at scale (bench/journal.sh):"
    printf '  %s\n' "${journal_lines[@]}"
  fi
  if ((${#tune_lines[@]})); then
    echo
    echo "tuning (tightrope alone, median of $REPEAT):"
    printf '  %s\n' "${tune_lines[@]}"
  fi
} | tee "$results"
echo "results: $results"
if ((missed)) && [[ ${STRICT:-} == 1 ]]; then
  exit 3
fi
