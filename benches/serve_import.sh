#!/bin/sh
# Import of one generated day into the workbench (BENCHMARKS.md, Workbench).
#
#   benches/serve_import.sh [CALLS] [DIR]      # default 100000 calls in /tmp/hq-import
#   HQ=target/debug/hotline-qa benches/serve_import.sh
#
# DIR must be an absolute path (run.json records absolute inputs).
# Generates the day (gen --seed 1) and scores it with its tickets on first
# use, then imports the run into a fresh database by starting
# `hotline-qa serve --runs` (on 127.0.0.1, a free port) and stopping it once
# it listens; prints the import line the server writes (its time is the
# import's), the database's size and the largest tables. Also a copy of the
# run whose run.json names the transcript gzipped (the kept-line case).
set -eu
CALLS=${1:-100000}
DIR=${2:-/tmp/hq-import}
HQ=${HQ:-target/release/hotline-qa}
mkdir -p "$DIR"
if [ ! -f "$DIR/runs/day/run.json" ]; then
  "$HQ" gen --calls "$CALLS" --seed 1 --out "$DIR/in" > /dev/null
  "$HQ" score "$DIR/in/calls.jsonl" "$DIR/in/tickets.csv" --directory "$DIR/in/directory.csv" \
    --out "$DIR/runs/day" --quiet --no-reports --as-of 2026-11-28T00:00:00+08:00 > /dev/null 2>&1
fi
if [ ! -f "$DIR/runs-gz/day/run.json" ]; then
  [ -f "$DIR/in/calls.jsonl.gz" ] || gzip -k "$DIR/in/calls.jsonl"
  mkdir -p "$DIR/runs-gz" && cp -r "$DIR/runs/day" "$DIR/runs-gz/day"
  sed -i "s#$DIR/in/calls.jsonl\"#$DIR/in/calls.jsonl.gz\"#" "$DIR/runs-gz/day/run.json"
fi
for RUNS in "$DIR/runs" "$DIR/runs-gz"; do
  DB="$RUNS.sqlite"
  rm -f "$DB" "$DB-wal" "$DB-shm"
  echo "bench-password-21" | "$HQ" serve --db "$DB" add-user admin --role 管理员 --password-stdin > /dev/null
  "$HQ" serve --db "$DB" --runs "$RUNS" --listen 127.0.0.1:0 > "$DB.out" 2> "$DB.err" &
  PID=$!
  i=0
  while ! grep -q "已启动" "$DB.out" 2> /dev/null && [ $i -lt 1200 ]; do sleep 0.5; i=$((i + 1)); done
  kill $PID; wait $PID 2> /dev/null || true
  cat "$DB.err"
  sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
  ls -la "$DB"
  sqlite3 "$DB" "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8;"
done
