# Statistics of the report: relative performance with bootstrap confidence
# intervals, Welch t-tests, scaling summaries. Pure functions over data
# frames read from the results database (docs/results.md), so that they
# can be checked on their own (analysis/test_stats.R).

BOOT_N <- 10000
ALPHA <- 0.05
# Fewest repetitions on each side for which the report draws an interval.
# A percentile bootstrap of n repetitions has choose(2n - 1, n) distinct
# resamples (3: 10, 5: 126) and is too narrow for small n (its spread is
# that of n values divided by n, not n - 1, and it uses normal quantiles
# where Student's apply); the expanded percentile interval below corrects
# both, and at 5 repetitions its coverage measured on normal data is 95%
# (docs/results.md). Below 5 the report draws none and says why.
MIN_CI_REPS <- 5

# The percentile level that corrects a bootstrap of n values (Hesterberg,
# "What teachers should know about the bootstrap", 2015, sec. 4.2: the
# expanded percentile interval): the tail probability whose normal
# quantile is sqrt(n / (n - 1)) times Student's t at n - 1 degrees.
expanded_alpha <- function(n, level = 0.95) {
  2 * pnorm(-sqrt(n / (n - 1)) * qt(1 - (1 - level) / 2, n - 1))
}

# Why no interval is drawn for repetitions counts n ("" when one is).
ci_missing_why <- function(...) {
  n <- min(...)
  if (n >= MIN_CI_REPS) return("")
  sprintf("%d repetition%s: an interval needs %d on each side", n, if (n == 1) "" else "s", MIN_CI_REPS)
}

# B bootstrap resamples of the column means of m (rows: repetitions), as
# a B x ncol matrix: each resample counts how often it drew each row.
boot_col_means <- function(m, B) {
  n <- nrow(m)
  w <- t(rmultinom(B, n, rep(1, n)))
  ok <- !is.na(m)
  (w %*% ifelse(ok, m, 0)) / (w %*% ok)
}

# Ratio of one metric, oriented so that > 1 means the platform is faster
# than the baseline: baseline/platform for times, platform/baseline for
# throughputs.
oriented_ratio <- function(base, plat, higher) {
  if (higher) plat / base else base / plat
}

# Repetition x metric matrix of means (instances of one repetition pooled).
rep_matrix <- function(d, ms) {
  m <- tapply(d$value, list(d$rep, d$metric), mean)
  m[, ms, drop = FALSE]
}

# Geometric mean over metrics of the oriented ratios of the column means.
geo_ratio <- function(b, x, higher) {
  r <- ifelse(higher, colMeans(x, na.rm = TRUE) / colMeans(b, na.rm = TRUE),
              colMeans(b, na.rm = TRUE) / colMeans(x, na.rm = TRUE))
  exp(mean(log(r)))
}

# The metrics both sides measured: a platform may report more (the uml
# and fullvirt drivers add wall_s and aggregate_passes_per_s to a cpu
# cell) or fewer than the baseline; only the common ones are compared.
common_metrics <- function(base, x) intersect(unique(base$metric), unique(x$metric))

# Relative performance of a platform against the baseline over several
# metrics: the geometric mean of the per-metric ratios of means, > 1 when
# the platform is faster. base, x: samples (rep, metric, value,
# higher_is_better) of the baseline and of the platform.
relative_perf <- function(base, x) {
  ms <- common_metrics(base, x)
  if (length(ms) == 0) return(NA_real_)
  higher <- base$higher_is_better[match(ms, base$metric)] == 1
  geo_ratio(rep_matrix(base, ms), rep_matrix(x, ms), higher)
}

# Point estimate and expanded percentile bootstrap interval of
# relative_perf (no interval below MIN_CI_REPS repetitions on a side).
# Whole repetitions are resampled: the metrics of one repetition were
# measured together, so they travel together.
# (expanded = FALSE and min_reps: the plain percentile interval, for
# analysis/coverage.R's comparison.)
relative_perf_ci <- function(base, x, n = BOOT_N, level = 0.95, expanded = TRUE, min_reps = MIN_CI_REPS) {
  est <- relative_perf(base, x)
  if (is.na(est)) return(c(est = NA, lo = NA, hi = NA))
  ms <- common_metrics(base, x)
  higher <- base$higher_is_better[match(ms, base$metric)] == 1
  b <- rep_matrix(base, ms)
  p <- rep_matrix(x, ms)
  if (min(nrow(b), nrow(p)) < max(2, min_reps)) return(c(est = est, lo = NA, hi = NA))
  bm <- boot_col_means(b, n)
  pm <- boot_col_means(p, n)
  r <- sweep(pm / bm, 2, ifelse(higher, 1, -1), `^`)
  boots <- exp(rowMeans(log(r)))
  a <- if (expanded) expanded_alpha(min(nrow(b), nrow(p)), level) else 1 - level
  q <- quantile(boots, c(a / 2, 1 - a / 2), names = FALSE, na.rm = TRUE)
  c(est = est, lo = q[1], hi = q[2])
}

# Welch's test of a platform against the baseline on one score per
# repetition (rep_scores) over the metrics both measured.
relative_welch_p <- function(base, x) {
  ms <- common_metrics(base, x)
  if (length(ms) == 0) return(NA_real_)
  welch_p(rep_scores(base[base$metric %in% ms, ]), rep_scores(x[x$metric %in% ms, ]))
}

# Mean with an expanded percentile bootstrap interval (scaling curves;
# none below MIN_CI_REPS values).
mean_ci <- function(v, n = BOOT_N, level = 0.95) {
  v <- v[is.finite(v)]
  if (length(v) == 0) return(c(est = NA, lo = NA, hi = NA))
  if (nzchar(ci_missing_why(length(v)))) return(c(est = mean(v), lo = NA, hi = NA))
  boots <- boot_col_means(matrix(v), n)[, 1]
  a <- expanded_alpha(length(v), level)
  q <- quantile(boots, c(a / 2, 1 - a / 2), names = FALSE)
  c(est = mean(v), lo = q[1], hi = q[2])
}

# Welch's t-test between two samples; NA when it cannot be done (fewer
# than two values on a side, or no variance on either).
welch_p <- function(a, b) {
  if (length(a) < 2 || length(b) < 2) return(NA_real_)
  if (var(a) == 0 && var(b) == 0) return(if (mean(a) == mean(b)) 1 else 0)
  tryCatch(t.test(a, b, var.equal = FALSE)$p.value, error = function(e) NA_real_)
}

welch_flag <- function(p) {
  ifelse(is.na(p), "n/a (too few samples)", ifelse(p < ALPHA, "differs", "no difference"))
}

# One score per repetition for a whole workload: the geometric mean over
# its metrics of the oriented values (times inverted), so that two
# platforms can be t-tested on one number per repetition.
rep_scores <- function(d) {
  d$o <- ifelse(d$higher_is_better == 1, d$value, 1 / d$value)
  s <- aggregate(o ~ rep, data = d, FUN = function(v) exp(mean(log(v))))
  s$o
}

# Every pair of platforms on every metric of a workload: means, ratio,
# Welch p-value and flag. d: samples of one workload, column platform.
pairwise_tests <- function(d) {
  plats <- unique(d$platform)
  out <- list()
  for (m in unique(d$metric)) {
    dm <- d[d$metric == m, ]
    ps <- intersect(plats, unique(dm$platform))
    if (length(ps) < 2) next
    for (i in seq_len(length(ps) - 1)) for (j in (i + 1):length(ps)) {
      a <- dm$value[dm$platform == ps[i]]
      b <- dm$value[dm$platform == ps[j]]
      p <- welch_p(a, b)
      out[[length(out) + 1]] <- data.frame(
        metric = m, a = ps[i], b = ps[j], mean_a = mean(a), mean_b = mean(b),
        n_a = length(a), n_b = length(b), b_over_a = mean(b) / mean(a), p = p,
        flag = welch_flag(p), stringsAsFactors = FALSE)
    }
  }
  if (length(out)) do.call(rbind, out) else NULL
}

# Paper ratios (paper-results.csv) for Figure 3, oriented like ours, keyed
# by our workload and platform names through paper-map.csv.
paper_ratios <- function(paper, map) {
  wl <- map[map$kind == "workload", ]
  pl <- map[map$kind == "platform", ]
  f3 <- paper[paper$figure == "fig3", ]
  out <- list()
  for (i in seq_len(nrow(wl))) {
    rows <- f3[f3$workload == wl$paper[i], ]
    base <- rows[rows$platform == "L", ]
    if (nrow(base) != 1) next
    for (j in seq_len(nrow(pl))) {
      r <- rows[rows$platform == pl$paper[j], ]
      if (nrow(r) != 1) next
      out[[length(out) + 1]] <- data.frame(
        workload = wl$ours[i], platform = pl$ours[j], paper_workload = wl$paper[i],
        paper_platform = pl$paper[j],
        ratio = oriented_ratio(base$value, r$value, base$higher_is_better == 1),
        stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, out)
}
