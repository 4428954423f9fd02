#!/usr/bin/env bash
# `make report`: runs the quick suite into results.db (resuming an
# unfinished run of it, else starting a new one) and writes the report
# from it. `make` has installed the packages and built everything first.
# It closes with how long each step took and the relative performance
# table (native = 1 in each environment where the cells were measured).
#   BUILD (build), RESULTS_DB (results.db), REPORT_DIR (report), SUITE (quick)
set -euo pipefail
BUILD=${BUILD:-build}
BIN=$BUILD/bin
DB=${RESULTS_DB:-results.db}
OUT=${REPORT_DIR:-report}
SUITE=${SUITE:-quick}
since() { local s=$((SECONDS - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

t0=$SECONDS
echo "report: [1/2] pvbench run --suite $SUITE --db $DB"
"$BIN/pvbench" run --suite "$SUITE" --db "$DB"
run_t=$(since $t0)
t1=$SECONDS
echo "report: [2/2] pvbench report --db $DB --out $OUT"
"$BIN/pvbench" report --db "$DB" --out "$OUT"
echo "report: $(cd "$OUT" && pwd)/index.html"
echo "report: done in $(since $t0) (pvbench run $run_t, report $(since $t1)); relative performance:"
sed 's/^/  /' "$OUT/relative.txt"
