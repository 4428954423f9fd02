# How often the report's 95% interval of relative performance holds the
# true ratio, measured on synthetic runs with a known answer: two metrics
# (a time and a throughput, 5% noise, the platform 0.8 of native on
# both), n repetitions a side. docs/results.md quotes its output:
#   Rscript analysis/coverage.R [TRIALS]
# test_stats.R runs a short version.

# Share of `trials` synthetic comparisons whose relative_perf_ci holds
# 0.8: the expanded percentile interval the report draws, or (expanded =
# FALSE) the plain percentile bootstrap.
coverage <- function(n, trials, expanded = TRUE, boot = 4000) {
  mk <- function(metric, higher, mean) {
    data.frame(rep = seq_len(n), metric = metric, value = rnorm(n, mean, mean * 0.05), higher_is_better = higher)
  }
  hits <- 0
  for (i in seq_len(trials)) {
    ci <- relative_perf_ci(rbind(mk("t_ms", 0, 10), mk("tps", 1, 100)), rbind(mk("t_ms", 0, 12.5), mk("tps", 1, 80)),
                           n = boot, expanded = expanded, min_reps = 2)
    hits <- hits + (ci[["lo"]] <= 0.8 && 0.8 <= ci[["hi"]])
  }
  hits / trials
}

if (sys.nframe() == 0) {
  here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
  source(file.path(here, "stats.R"))
  trials <- as.integer(c(commandArgs(trailingOnly = TRUE), 1000)[1])
  set.seed(11)
  for (n in c(3, 5, 10, 20))
    cat(sprintf("n = %2d: plain percentile %.3f, expanded percentile %.3f (%d trials)\n", n,
                coverage(n, trials, FALSE), coverage(n, trials), trials))
}
