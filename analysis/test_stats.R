# Checks of analysis/stats.R and html.R on data with known answers; run by
# tests/integration/report_stats.sh. Prints "PASS" or stops with the check
# that failed.
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(here, "stats.R"))
source(file.path(here, "order.R"))
source(file.path(here, "html.R"))
check <- function(ok, what) if (!isTRUE(ok)) stop("FAIL: ", what, call. = FALSE)
set.seed(7)

mk <- function(metric, higher, values) {
  data.frame(rep = seq_along(values), metric = metric, value = values, higher_is_better = higher)
}
# native twice as fast on a time metric, same on a throughput: sqrt(0.5 * 1)
base <- rbind(mk("t_ms", 0, c(10, 10, 10)), mk("tps", 1, c(100, 100, 100)))
plat <- rbind(mk("t_ms", 0, c(20, 20, 20)), mk("tps", 1, c(100, 100, 100)))
check(abs(relative_perf(base, plat) - sqrt(0.5)) < 1e-12, "relative_perf geometric mean")
check(abs(relative_perf(base, base) - 1) < 1e-12, "relative_perf of the baseline is 1")
# a throughput twice native's counts as faster
plat2 <- rbind(mk("t_ms", 0, c(10, 10, 10)), mk("tps", 1, c(200, 200, 200)))
check(abs(relative_perf(base, plat2) - sqrt(2)) < 1e-12, "higher-is-better orientation")
# metrics the baseline lacks are ignored
check(abs(relative_perf(base, rbind(plat, mk("x", 0, 1:3))) - sqrt(0.5)) < 1e-12, "common metrics only")
check(is.na(relative_perf(base, mk("other", 0, 1:3))), "no common metric: NA")

# noisy samples: the interval holds the estimate and the truth
b <- mk("t_ms", 0, rnorm(12, 10, 0.5))
p <- mk("t_ms", 0, rnorm(12, 12.5, 0.5))
ci <- relative_perf_ci(b, p, n = 500)
check(ci[["lo"]] <= ci[["est"]] && ci[["est"]] <= ci[["hi"]], "interval holds the estimate")
check(ci[["lo"]] < 0.8 && ci[["hi"]] > 0.8, "interval holds the true ratio 0.8")
check(ci[["hi"]] - ci[["lo"]] < 0.1, "interval is tight for tight data")
one <- relative_perf_ci(mk("t_ms", 0, 10), mk("t_ms", 0, 20))
check(abs(one[["est"]] - 0.5) < 1e-12 && is.na(one[["lo"]]), "one repetition: estimate, no interval")
# fewer than MIN_CI_REPS repetitions on a side: no interval, and why
four <- relative_perf_ci(b, p[p$rep <= 4, ])
check(!is.na(four[["est"]]) && is.na(four[["lo"]]) && is.na(four[["hi"]]), "4 repetitions: no interval")
check(ci_missing_why(12, 4) == "4 repetitions: an interval needs 5 on each side" && ci_missing_why(5, 5) == "",
      "why no interval")
# the interval's coverage, measured (analysis/coverage.R): the plain
# percentile bootstrap of 5 repetitions misses the truth far more often
# than 5%; the expanded interval the report draws does not
source(file.path(here, "coverage.R"))
check(coverage(5, 300, boot = 2000) >= 0.93, "coverage of the expanded interval at 5 repetitions")
check(coverage(5, 300, expanded = FALSE, boot = 2000) < 0.92, "the plain percentile interval is too narrow at 5")

# Welch
check(welch_p(b$value, p$value) < 1e-6, "welch: clearly different")
check(welch_p(b$value, b$value + rnorm(12, 0, 0.01)) > 0.05, "welch: the same")
check(is.na(welch_p(1, 1:3)), "welch: one value is too few")
check(welch_flag(0.01) == "differs" && welch_flag(0.5) == "no difference", "welch flags")
t <- pairwise_tests(rbind(cbind(b, platform = "native"), cbind(p, platform = "pv")))
check(nrow(t) == 1 && t$flag == "differs" && abs(t$b_over_a - mean(p$value) / mean(b$value)) < 1e-12,
      "pairwise tests")

m <- mean_ci(c(1, 2, 3, 4, 5, 6), n = 300)
check(m[["est"]] == 3.5 && m[["lo"]] >= 1 && m[["lo"]] < 3.5 && m[["hi"]] > 3.5 && m[["hi"]] <= 6, "mean_ci")
m <- mean_ci(c(1, 2, 3, 4), n = 300)
check(m[["est"]] == 2.5 && is.na(m[["lo"]]) && is.na(m[["hi"]]), "mean_ci: no interval from 4 values")
s <- rep_scores(rbind(mk("t_ms", 0, c(2, 4)), mk("tps", 1, c(8, 4))))
check(all(abs(s - c(2, 1)) < 1e-12), "rep_scores: geometric mean of oriented values")

# how the repetitions of a figure ran (order.R)
check(int_ranges(c(1, 2, 3, 5, 7, 8)) == "1-3, 5, 7-8", "int_ranges")
od <- list(cells = data.frame(id = 1:3, platform = c("native", "pv", "uml")),
           samples = data.frame(cell_id = c(1, 1, 2, 2, 3), rep = c(1, 2, 1, 2, 1)))
od$reps <- data.frame(cell_id = c(1, 3, 1, 2, 3, 1, 2), rep = c(0, 0, 1, 1, 1, 2, 2), ord = 1:7,
                      status = c("done", "done", "done", "done", "done", "done", "done"))
check(repetitions_note(od, 1:3, od$cells$platform) ==
      paste("Repetitions: native 2, pv 2, uml 1; interleaved, round 1: native, pv, uml; round 2: native, pv;",
            "before them a warm-up repetition of native, uml (its samples not kept); pv warmed up by an earlier cell."),
      "repetitions_note: interleaved rounds and warm-ups")
od$reps <- data.frame(cell_id = c(1, 1, 2, 2), rep = c(1, 2, 1, 2), ord = 1:4, status = "done")
check(repetitions_note(od, 1:2, od$cells$platform) ==
      "Repetitions: native 2, pv 2; one after another, native x2, pv x2; native, pv warmed up by an earlier cell.",
      "repetitions_note: one cell after another")
od$reps <- od$reps[0, ]
check(grepl("^Repetitions: native 2, pv 2; their order was not recorded", repetitions_note(od, 1:2, od$cells$platform)),
      "repetitions_note: a database without the order")

# the paper's ratios, oriented like ours
paper <- read.csv(file.path(here, "paper-results.csv"), comment.char = "#")
map <- read.csv(file.path(here, "paper-map.csv"), comment.char = "#")
pr <- paper_ratios(paper, map)
check(abs(pr$ratio[pr$workload == "cpu" & pr$platform == "pv"] - 1) < 1e-12, "paper: SPEC INT X/L = 1")
check(abs(pr$ratio[pr$workload == "cpu" & pr$platform == "fullvirt"] - 554 / 567) < 1e-12, "paper: V/L")
check(abs(pr$ratio[pr$workload == "dbench" & pr$platform == "uml"] - 111 / 418) < 1e-12, "paper: dbench U/L")
check(nrow(pr) == 20, "paper: 5 workloads x 4 platforms")
# the lmbench tables' baseline is the paper's uniprocessor Linux row (L-UP)
lm <- paper[paper$figure %in% c("table3", "table5"), ]
check(setequal(unique(lm$platform), c("L-UP", "X")), "paper: Tables 3 and 5 compare X with L-UP, not L")

# base64 (RFC 4648 test vectors) and escaping
for (v in list(c("", ""), c("f", "Zg=="), c("fo", "Zm8="), c("foo", "Zm9v"), c("foob", "Zm9vYg=="),
               c("fooba", "Zm9vYmE="), c("foobar", "Zm9vYmFy")))
  check(base64_encode(charToRaw(v[1])) == v[2], paste("base64", v[1]))
check(base64_encode(as.raw(c(0xfb, 0xff))) == "+/8=", "base64 high bytes")
check(esc("<a&b>") == "&lt;a&amp;b&gt;", "html escaping")
check(identical(fmt_num(c(3, 2.5, NA, 1234.5678)), c("3", "2.5", "", "1235")), "number format")
check(grepl("<td class=\"n\">2</td>", html_table(data.frame(x = 2))), "table cell")
# report sections on a synthetic run: lmbench rows, relative performance
if (requireNamespace("ggplot2", quietly = TRUE) && requireNamespace("RSQLite", quietly = TRUE)) {
  source(file.path(here, "report.R"))
  cells <- data.frame(id = 1:5, platform = c("native", "pvos", "native", "uml", "pv"),
                      workload = c("lmbench", "lmbench", "cpu", "cpu", "lmbench"), domains = 1, status = "done")
  smp <- function(cell, metric, unit, values, higher = 0)
    data.frame(cell_id = cell, rep = seq_along(values), instance = 1, metric = metric, unit = unit,
               higher_is_better = higher, derived = 0, value = values,
               platform = cells$platform[cell], workload = cells$workload[cell], domains = 1)
  d <- list(cells = cells, samples = rbind(
    smp(1, "null_call_us", "us", c(0.5, 0.52, 0.49)), smp(2, "null_call_us", "us", c(60, 61, 59)),
    smp(3, "sort_ms", "ms", c(10, 11, 10.5)), smp(4, "sort_ms", "ms", c(20, 21, 22)),
    smp(4, "wall_s", "s", c(1, 1, 1))))
  d$samples <- rbind(d$samples, smp(1, "null_syscall", "ns", c(60, 62, 61)), smp(2, "null_syscall", "ns", c(1e5, 1.1e5, 1.2e5)),
                     smp(1, "page_fault", "ns", c(2000, 2100, 2050)), smp(2, "mmu_update_b1_ns", "ns", c(100, 100, 100)),
                     smp(2, "mmu_update_b16_ns", "ns", c(10, 10, 10)),
                     smp(5, "null_syscall", "ns", c(300, 310, 290)), smp(5, "page_fault", "ns", c(4000, 4100, 4200)))
  d$cells$detail <- c(NA, "kvm=pvm no_page_fault=a_fault_stops_the_domain", NA, NA, "linux_kernel=6.1")
  html <- paste(section_lmbench(d, paper, map), collapse = "\n")
  check(grepl("null_call_us", html) && grepl("pvos/native", html) && grepl("differs", html), "lmbench section")
  check(grepl(sprintf("%.4g", 1.1e5 / 61), html, fixed = TRUE), "lmbench section: pvos/native of null_syscall")
  check(grepl("pv/native", html, fixed = TRUE) && grepl(sprintf("%.4g", 300 / 61), html, fixed = TRUE),
        "lmbench section: pv (Linux PV)/native of null_syscall")
  check(grepl(sprintf("%.4g", 0.46 / 0.45), html, fixed = TRUE) && grepl("X/L-UP", html, fixed = TRUE),
        "lmbench section: the paper's X/L-UP of null call")
  check(grepl("pvos: a fault stops the domain", html, fixed = TRUE), "lmbench section: why a row is missing")
  check(grepl("pvos is pvlab's own kernel|pvos has no paper counterpart", html), "lmbench section: pvos is not XenoLinux")
  check(grepl("<td class=\"n\">0.1</td>", html, fixed = TRUE), "lmbench section: mmu_update batch ratio")
  rel <- compute_relative(d)
  u <- rel[rel$platform == "uml", ]
  check(nrow(u) == 1 && abs(u$est - 10.5 / 21) < 1e-9 && u$metrics == 1 && u$differs, "relative: uml cpu")
  check(rel$est[rel$platform == "native"] == 1, "relative: native is 1")
  # the same kernels on both sides, and the metrics only one side has
  # (the uml driver's wall_s and aggregate rate): relative 1, no difference
  same <- d
  same$samples <- rbind(d$samples[d$samples$cell_id != 4, ], smp(4, "sort_ms", "ms", c(10, 11, 10.5)),
                        smp(4, "wall_s", "s", c(1.2, 1.3, 1.1)),
                        smp(4, "aggregate_passes_per_s", "passes/s", c(0.8, 0.77, 0.9), higher = 1))
  u <- compute_relative(same)
  u <- u[u$platform == "uml", ]
  check(abs(u$est - 1) < 1e-12 && u$metrics == 1 && u$welch_p == 1 && !u$differs,
        "relative: metrics only the platform has are left out of Welch's test")
}

# The fixture database (a real run): Welch's p of each platform's cpu cell
# recomputed here from its rows, on the kernels native measured too, each
# against the native of its own environment; a cell measured in the
# nested AMD-V host is never divided by this host's hardware native.
fixture <- file.path(here, "..", "tests", "fixtures", "fixture.db")
if (exists("compute_relative") && file.exists(fixture)) {
  con <- DBI::dbConnect(RSQLite::SQLite(), fixture, flags = RSQLite::SQLITE_RO)
  raw <- DBI::dbGetQuery(con, paste(
    "SELECT c.platform, c.env, s.rep, s.metric, avg(s.value) AS v FROM samples s JOIN cells c ON c.id = s.cell_id",
    "WHERE c.run_id = (SELECT max(id) FROM runs) AND c.workload = 'cpu' AND c.domains = 1",
    "AND c.status = 'done' AND s.metric LIKE '%_ms' AND s.instance > 0 GROUP BY 1, 2, 3, 4"))
  DBI::dbDisconnect(con)
  # schema version 4: pv's cpu cells ran pvos, and the report says so
  raw$platform[raw$platform == "pv"] <- "pvos"
  score <- function(p, e) {     # per repetition: geometric mean of 1 / kernel time
    kernels <- unique(raw$metric[raw$platform == "native" & raw$env == e])
    r <- raw[raw$platform == p & raw$env == e & raw$metric %in% kernels, ]
    sapply(split(r$v, r$rep), function(v) exp(mean(log(1 / v))))
  }
  fd <- read_db(fixture, NA)
  rel <- compute_relative(fd)
  # scaling: one clock for every platform drawn (pvbench's wall time of
  # the cell), the guests' own aggregate left out and named
  ss <- scaling_samples(fd)
  check(setequal(unique(ss$agg$platform), c("native", "pvos")) && all(ss$agg$instance == 0 & ss$agg$derived == 1),
        "fixture: scaling uses pvbench's aggregate of native and pvos only")
  check(setequal(ss$left_out, c("fullvirt", "uml")), "fixture: scaling names the guests it leaves out")
  sh <- paste(section_scaling(fd, tempdir(), paper)$html, collapse = "\n")
  check(grepl("Not in the aggregate-throughput figure and table: fullvirt, uml", sh, fixed = TRUE), "fixture: scaling says what it left out")
  pe <- unique(raw[raw$platform != "native", c("platform", "env")])
  check(nrow(pe) >= 3 && "nested-svm" %in% pe$env && "hardware" %in% pe$env,
        "fixture: cpu cells on this host's hardware and in the nested AMD-V host")
  for (i in seq_len(nrow(pe))) {
    p <- pe$platform[i]
    e <- pe$env[i]
    want <- t.test(score("native", e), score(p, e))$p.value
    got <- rel$welch_p[rel$workload == "cpu" & rel$platform == p & rel$env == e]
    check(length(got) == 1 && abs(got - want) < 1e-12, paste("fixture: Welch p of cpu on", p, e, "recomputed by hand"))
  }
  # the nested pvos cell against the nested native, not this host's
  s1 <- fig3_samples(fd$samples[fd$samples$cell_id %in% fd$cells$id[fd$cells$status == "done"], ])
  cpu <- function(p, e) s1[s1$workload == "cpu" & s1$platform == p & s1$env == e, ]
  got <- rel$est[rel$workload == "cpu" & rel$platform == "pvos" & rel$env == "nested-svm"]
  check(length(got) == 1 && abs(got - relative_perf(cpu("native", "nested-svm"), cpu("pvos", "nested-svm"))) < 1e-12,
        "fixture: pvos in the nested host against the nested native")
  check(abs(got - relative_perf(cpu("native", "hardware"), cpu("pvos", "nested-svm"))) > 0.05,
        "fixture: pvos in the nested host is not divided by the hardware native")
  check(all(rel$env[rel$platform == "fullvirt"] == "nested-svm"), "fixture: fullvirt (a PVM host) only in the nested host")
  check(grepl("pvos [emulated AMD-V]", paste(relative_text(rel), collapse = "\n"), fixed = TRUE),
        "fixture: the closing note's table labels the emulated figures")
  # schema version 4: pv's cpu, hcall and lmbench cells are pvos's, its
  # dbench cell (Linux PV) stays pv; the samples follow their cells
  check(!any(fd$cells$platform == "pv" & fd$cells$workload %in% c("cpu", "hcall", "lmbench")) &&
          any(fd$cells$platform == "pv" & fd$cells$workload == "dbench") &&
          all(fd$samples$platform == fd$cells$platform[match(fd$samples$cell_id, fd$cells$id)]),
        "fixture: pv's cpu, hcall and lmbench read as pvos")
  # a run of schema version 6 with both: pv (Linux PV) gets the paper's X
  # marks, pvos none; both are set against native
  check(identical(with_pvos(data.frame(platform = c("pv", "pv"), workload = c("cpu", "dbench")), 6)$platform, c("pv", "pv")) &&
          identical(with_pvos(data.frame(platform = c("pv", "pv"), workload = c("cpu", "dbench")), 5)$platform, c("pvos", "pv")),
        "with_pvos: renames only before schema version 6")
  both <- fd
  hw <- both$cells[both$cells$platform == "pvos" & both$cells$workload == "cpu" & both$cells$domains == 1 & both$cells$env == "hardware", ]
  linux <- transform(hw, id = max(both$cells$id) + 1, platform = "pv", label = "pv")
  ls <- both$samples[both$samples$cell_id == hw$id, ]
  ls <- transform(ls, cell_id = linux$id, platform = "pv", label = "pv", value = ifelse(higher_is_better == 1, 0.9, 1 / 0.9) * value)
  both$cells <- rbind(both$cells, linux)
  both$samples <- rbind(both$samples, ls)
  brel <- compute_relative(both)
  check(all(c("pv", "pvos") %in% brel$platform[brel$workload == "cpu" & brel$env == "hardware"]), "version 6: pv and pvos both in Figure 3")
  check(abs(brel$est[brel$workload == "cpu" & brel$platform == "pv" & brel$env == "hardware"] /
            brel$est[brel$workload == "cpu" & brel$platform == "pvos" & brel$env == "hardware"] - 0.9) < 1e-9,
        "version 6: pv's cpu against native, apart from pvos's")
  pr <- paper_ratios(paper, map)
  check(any(pr$platform == "pv") && !any(pr$platform == "pvos"), "paper marks: X is pv's, pvos has none")
  bh <- paste(section_relative(both, tempdir(), paper, map)$html, collapse = "\n")
  check(grepl("<td>pvos</td>", bh, fixed = TRUE) && grepl("<td>pv</td>", bh, fixed = TRUE) &&
          grepl("not XenoLinux", bh, fixed = TRUE), "version 6: the relative table has pv and pvos, pvos labelled")
  # a run of another size than native's (detail scale) gets no ratio, and
  # the report and the closing text say why; the same size keeps it
  check(identical(cell_scale(c(NA, "a=1", "scale=0.25 x=2", "q=1 scale=0.01", "scale_factor=10", "scale=x")),
                  c(1, 1, 0.25, 0.01, 1, 1)), "cell_scale: read from the detail words, 1 without")
  # (a workload of its own made of the cpu cells of native, pv and uml on
  # this host: cpu's kernels run once whatever the scale, so its own
  # cells never differ in size)
  small <- both
  cpu1 <- small$cells$workload == "cpu" & small$cells$env == "hardware" & small$cells$domains == 1 &
    small$cells$platform %in% c("native", "pv", "uml")
  small$cells$workload[cpu1] <- "sized"
  small$samples$workload[small$samples$cell_id %in% small$cells$id[cpu1]] <- "sized"
  small$cells$detail[small$cells$id == linux$id] <- "pvmon=0.1.0 scale=0.25"
  srel <- compute_relative(small)
  u <- attr(srel, "unscaled")
  check(!any(srel$platform == "pv" & srel$workload == "sized") && any(srel$platform == "uml" & srel$workload == "sized") &&
          !is.null(u) && identical(u$platform, "pv") && u$scale == "0.25" && u$native_scale == "1",
        "scale: pv's smaller run has no ratio to native's full one")
  sh <- paste(section_relative(small, tempdir(), paper, map)$html, collapse = "\n")
  check(grepl("another size than native's, detail scale): sized on pv (scale 0.25, native's 1)", sh, fixed = TRUE) &&
          grepl("sized on pv (scale 0.25, native's 1)", paste(relative_text(srel), collapse = "\n"), fixed = TRUE),
        "scale: the report and the closing text name the run without a ratio")
  nat <- small$cells$id[cpu1 & small$cells$platform == "native"]
  small$cells$detail[small$cells$id == nat] <- paste(small$cells$detail[small$cells$id == nat], "scale=0.25")
  s2 <- compute_relative(small)
  check(any(s2$platform == "pv" & s2$workload == "sized") && identical(attr(s2, "unscaled")$platform, "uml"),
        "scale: runs of the same size keep their ratio (uml's full run now has none)")
  cpu_small <- both
  cpu_small$cells$detail[cpu_small$cells$id == linux$id] <- "pvmon=0.1.0 scale=0.25"
  check(any(compute_relative(cpu_small)$platform == "pv"), "scale: cpu's kernels run once at any scale: pv's cpu keeps its ratio")
}
# A database from before schema version 4: a full-virt cell QEMU ran
# without KVM was emulated; it gets no ratio to the hardware native.
v3 <- file.path(here, "..", "tests", "fixtures", "fixture-v3.db")
if (exists("compute_relative") && file.exists(v3)) {
  od <- read_db(v3, NA)
  check(all(od$cells$env[od$cells$platform == "fullvirt"] == "tcg"), "version 3: TCG fullvirt marked emulated")
  orel <- compute_relative(od)
  check(!any(orel$platform == "fullvirt") && any(orel$platform == "pvos"), "version 3: no ratio for TCG fullvirt")
  ub <- unbased(od, orel)
  check(any(ub$platform == "fullvirt" & ub$env == "tcg" & ub$workload == "cpu"), "version 3: TCG fullvirt listed without a ratio")
}
# Several hosts (analysis/hosts.R): each host against the median host of
# its KVM back end; a host of another back end is never pooled with them
# or compared; a host far off its group's median and beyond its own
# noise is flagged; the pooled sections keep one back end.
if (exists("host_relative")) {
  mkh <- function(host, factor) {
    v <- c(10, 10.1, 9.9) * factor
    data.frame(cell_id = match(host, c("a", "b", "c", "d", "e")), rep = 1:3, instance = 1, metric = "t_ms",
               unit = "ms", higher_is_better = 0, derived = 0, value = v, workload = "cpu", domains = 1,
               platform = "native", env = "hardware")
  }
  hd <- list(
    hosts = data.frame(name = c("a", "b", "c", "d", "e"), hostname = "x", cpu_model = "cpu", kernel = "k", cores = 2,
                       mem_mib = 1, seen = "t", emulated = c(0, 0, 0, 0, 0),
                       kvm_backend = c(rep("kvm=pvm pcpus=2 sched=bvt", 4), "kvm=vmx pcpus=2 sched=bvt")),
    cells = data.frame(id = 1:5, host = c("a", "b", "c", "d", "e"), status = "done", workload = "cpu", domains = 1,
                       platform = "native", env = "hardware"),
    samples = rbind(mkh("a", 1), mkh("b", 1.02), mkh("c", 0.98), mkh("d", 2), mkh("e", 5)),
    dstats = data.frame(), hist = data.frame(), counters = data.frame())
  hr <- host_relative(hd)
  rel_of <- function(h) hr$relative[hr$host == h]
  check(all(hr$group[hr$host %in% c("a", "b", "c", "d")] == "pvm") && hr$group[hr$host == "e"] == "vmx",
        "hosts: grouped by KVM back end")
  # pvm's host medians are 10, 10.2, 9.8, 20: the median host 10.1
  check(abs(rel_of("d") - 10.1 / 20) < 1e-9, "hosts: d against the median pvm host")
  check(abs(rel_of("e") - 1) < 1e-12 && hr$hosts[hr$host == "e"] == 1, "hosts: e (vmx) is compared with no pvm host")
  check(isTRUE(hr$outlier[hr$host == "d"]) && !any(hr$outlier[hr$host != "d"]), "hosts: only d is an outlier")
  sp <- host_spread(hr)
  check(abs(sp$max_min[sp$group == "pvm"] - 20 / 9.8) < 1e-9 && sp$outliers[sp$group == "pvm"] == "d",
        "hosts: the spread names the outlier")
  pooled <- pool_one_backend(hd)
  check(all(pooled$d$cells$host %in% c("a", "b", "c", "d")) && !is.null(pooled$note), "hosts: pooled sections keep pvm")
}
# Figure 4 with Linux PV domains: one domain's reply_rate, several
# domains' aggregate_reply_rate, each against pv x1 in its environment
if (exists("section_web_scaling")) {
  ws <- function(dom, metric, v, rep) data.frame(cell_id = dom, rep = rep, instance = 0, metric = metric, value = v,
                                                 platform = "pv", env = "nested-svm", domains = dom, derived = 0)
  wd <- list(cells = data.frame(id = c(1, 2, 4), status = "done", workload = "httperf-vif"),
             samples = rbind(ws(1, "reply_rate", c(20, 22), 1:2), ws(2, "aggregate_reply_rate", c(30, 33), 1:2),
                             ws(2, "reply_rate", c(15, 15, 16, 17), c(1, 1, 2, 2)), ws(4, "aggregate_reply_rate", 42, 1)))
  wsd <- web_scaling_samples(wd)
  check(nrow(wsd) == 5 && !any(wsd$domains > 1 & wsd$metric == "reply_rate"), "web scaling: the aggregate of 2+ domains")
  pts <- scaling_points(wsd)
  check(abs(pts$est[pts$domains == 2] - 31.5 / 21) < 1e-9 && abs(pts$est[pts$domains == 4] - 2) < 1e-9,
        "web scaling: against one domain's mean")
  wh <- paste(section_web_scaling(wd, tempdir(), paper)$html, collapse = "\n")
  check(grepl("Linux PV domains serving httperf", wh) && grepl("Aggregate reply rate against", wh) &&
          grepl("<td class=\"n\">31.5</td>", wh, fixed = TRUE), "web scaling: its section, plot and table")
  check(grepl("No httperf-vif cells", section_web_scaling(list(cells = wd$cells[1, ], samples = wsd[1, ]), tempdir(),
                                                          paper)$html[2]), "web scaling: says when it has no curve")
}
cat("PASS\n")
