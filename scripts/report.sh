#!/usr/bin/env bash
# `make report`: runs the quick suite into results.db (resuming an
# unfinished run of it, else starting a new one) and writes the report
# from it. `make` has installed the packages and built everything first.
#   BUILD (build), RESULTS_DB (results.db), REPORT_DIR (report), SUITE (quick)
set -euo pipefail
BUILD=${BUILD:-build}
BIN=$BUILD/bin
DB=${RESULTS_DB:-results.db}
OUT=${REPORT_DIR:-report}
SUITE=${SUITE:-quick}

echo "report: [1/2] pvbench run --suite $SUITE --db $DB"
"$BIN/pvbench" run --suite "$SUITE" --db "$DB"
echo "report: [2/2] pvbench report --db $DB --out $OUT"
"$BIN/pvbench" report --db "$DB" --out "$OUT"
echo "report: $(cd "$OUT" && pwd)/index.html"
