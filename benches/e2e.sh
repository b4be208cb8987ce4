#!/usr/bin/env bash
# End-to-end measurement for BENCHMARKS.md: on one generated day, in one
# run and in sequence, the floor (read + parse only), ripgrep with the taboo
# lexicon over the same file, and the full `score` with and without tickets
# and reports. Usage: benches/e2e.sh CALLS [SEED]   (needs ripgrep, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
SEED=${2:-1}
BIN=target/release/hotline-qa
[ -x "$BIN" ] || cargo build --release --locked
D=${BENCH_DIR:-/tmp/hotline-qa-bench}/d$N
[ -f "$D/calls.jsonl" ] || "$BIN" gen --calls "$N" --seed "$SEED" --out "$D" >/dev/null
# ripgrep's reference work is fixed: the taboo phrases as the lexicons held
# them when BENCHMARKS.md's ratios were first measured (31b33a0). Building
# it from today's lexicons would make ripgrep slower whenever a lexicon
# grows, and our ratio look better without `score` being any faster.
PAT=benches/rg-taboo-patterns.txt
OUT=$(mktemp -d)
echo "== $N calls, $(du -h "$D/calls.jsonl" | cut -f1) of JSON Lines; $(nproc) cores"
cat "$D/calls.jsonl" > /dev/null
# Prints one line per run and keeps its wall time in WALL[name].
declare -A WALL
t() {
    local name=$1; shift
    local line
    line=$(/usr/bin/time -f "$name	%e s wall	%U s user	%M KB peak RSS" "$@" 2>&1 >/dev/null | tail -1)
    echo "$line"
    WALL[$name]=$(echo "$line" | cut -f2 | cut -d' ' -f1)
}
t "parse-only (floor)" "$BIN" parse-only "$D/calls.jsonl"
t "rg -c -F -f taboo" rg -c -F -f "$PAT" "$D/calls.jsonl"
t "score --no-reports" "$BIN" score "$D/calls.jsonl" --directory "$D/directory.csv" --out "$OUT/a" --quiet --no-reports
t "score" "$BIN" score "$D/calls.jsonl" --directory "$D/directory.csv" --out "$OUT/b" --quiet
t "score + tickets" "$BIN" score "$D/calls.jsonl" "$D/tickets.csv" --directory "$D/directory.csv" --as-of 2026-11-28T00:00:00+08:00 --out "$OUT/c" --quiet
# With BASELINE=1: the straightforward Python implementation of the same
# rules (benches/baseline.py; about 3,000 calls/s, so some minutes at 1M),
# and how many of its calls and findings are the same as `score --no-reports`'s.
if [ "${BASELINE:-0}" = 1 ]; then
    t "python baseline" python3 benches/baseline.py "$D/calls.jsonl" --directory "$D/directory.csv" --out "$OUT/p"
    python3 benches/baseline.py --out "$OUT/p" --compare "$OUT/a" | grep -E "^calls|^  score|^findings:"
fi
rm -rf "$OUT"
# The issue's ratios, within this run.
for s in "score --no-reports" "score"; do
    awk -v n="$s" -v s="${WALL[$s]}" -v f="${WALL["parse-only (floor)"]}" -v r="${WALL["rg -c -F -f taboo"]}" \
        'BEGIN { printf "%s: %.2f x the floor, %.2f x ripgrep\n", n, s / f, s / r }'
done
if [ -n "${WALL["python baseline"]:-}" ]; then
    awk -v s="${WALL["score"]}" -v p="${WALL["python baseline"]}" \
        'BEGIN { printf "python baseline: %.1f x the time of score\n", p / s }'
fi
