# The R analysis's statistics (bootstrap intervals, Welch's test, the
# paper's ratios, base64) on data with known answers: analysis/test_stats.R.
. tests/lib.sh
command -v Rscript >/dev/null || skip "R is not installed (r-base-core; make deps)"
out=$(Rscript --vanilla analysis/test_stats.R 2>&1) || { echo "$out"; die "analysis/test_stats.R"; }
echo "$out"
[ "$(echo "$out" | tail -1)" = PASS ] || die "no PASS"
