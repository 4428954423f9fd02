# pvlab report: reads a pvbench results database (docs/results.md) and
# writes OUT/index.html (self-contained: plots embedded as base64 PNG) and
# the plots as PNG and SVG. Run by `pvbench report`:
#   Rscript --vanilla analysis/report.R --db results.db --out report [--run ID] [--from NAME]
# (--from: what the database is called in the report, when pvbench report
# copied a PostgreSQL database into the SQLite file it reads here)

options(warn = 1, bitmapType = "cairo", stringsAsFactors = FALSE)

script_dir <- function() {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[1])) else "analysis"
}
HERE <- script_dir()
for (f in c("stats.R", "order.R", "html.R", "plots.R", "hosts.R")) source(file.path(HERE, f))

# An input the report cannot use: one line saying why, and status 3, which
# tells pvbench report that the reason has been given.
die <- function(...) {
  cat("report: ", ..., "\n", sep = "", file = stderr())
  quit(status = 3)
}

parse_args <- function(a) {
  o <- list(db = NULL, out = "report", run = NA, from = NA)
  i <- 1
  while (i <= length(a)) {
    k <- a[i]
    v <- if (i < length(a)) a[i + 1] else NA
    if (k %in% c("--db", "--out", "--run", "--from") && !is.na(v)) {
      o[[sub("^--", "", k)]] <- v
      i <- i + 2
    } else {
      cat("usage: report.R --db FILE [--out DIR] [--run ID] [--from NAME]\n", file = stderr())
      quit(status = 2)
    }
  }
  if (is.null(o$db)) die("--db FILE is required")
  o
}

suppressPackageStartupMessages({
  ok <- requireNamespace("DBI", quietly = TRUE) && requireNamespace("RSQLite", quietly = TRUE) &&
    requireNamespace("ggplot2", quietly = TRUE)
  if (!ok) die("needs the R packages DBI, RSQLite and ggplot2 (make deps: r-cran-rsqlite r-cran-ggplot2)")
  library(ggplot2)
})

# ---- reading ----------------------------------------------------------------

read_db <- function(path, run_id) {
  if (!file.exists(path)) die("no such file: ", path)
  con <- tryCatch(DBI::dbConnect(RSQLite::SQLite(), path, flags = RSQLite::SQLITE_RO),
                  error = function(e) die("cannot open ", path, ": ", conditionMessage(e)))
  on.exit(DBI::dbDisconnect(con))
  # SQLite finds a damaged page only when a query reads it
  q <- function(sql, ...) {
    params <- list(...)
    tryCatch(if (length(params)) DBI::dbGetQuery(con, sql, params = params) else DBI::dbGetQuery(con, sql),
             error = function(e) die(path, ": cannot read it: ", conditionMessage(e)))
  }
  tables <- q("SELECT name FROM sqlite_master WHERE type = 'table'")$name
  if (!all(c("schema_version", "runs", "cells", "samples") %in% tables))
    die(path, " is not a pvbench results database")
  runs <- q("SELECT * FROM runs ORDER BY id")
  if (!nrow(runs)) die(path, " holds no run yet")
  if (is.na(run_id)) run_id <- max(runs$id)
  run_id <- as.integer(run_id)
  if (!run_id %in% runs$id) die("no run ", run_id, " in ", path, " (runs: ", paste(runs$id, collapse = ", "), ")")
  cells <- q("SELECT * FROM cells WHERE run_id = ? ORDER BY seq", run_id)
  samples <- q(paste("SELECT s.*, c.platform, c.workload, c.domains FROM samples s",
                     "JOIN cells c ON c.id = s.cell_id WHERE c.run_id = ?"), run_id)
  dstats <- if ("domain_stats" %in% tables)
    q(paste("SELECT d.*, c.workload, c.domains FROM domain_stats d JOIN cells c ON c.id = d.cell_id",
            "WHERE c.run_id = ?"), run_id) else data.frame()
  counters <- if ("counters" %in% tables)
    q(paste("SELECT k.*, c.platform, c.workload, c.domains FROM counters k JOIN cells c ON c.id = k.cell_id",
            "WHERE c.run_id = ?"), run_id) else data.frame()
  reps <- if ("reps" %in% tables)
    q("SELECT r.* FROM reps r JOIN cells c ON c.id = r.cell_id WHERE c.run_id = ? ORDER BY r.ord", run_id)
  else data.frame(cell_id = integer(), rep = integer(), ord = integer(), status = character())
  hist <- if ("trace_hist" %in% tables)
    q(paste("SELECT h.*, c.workload, c.domains FROM trace_hist h JOIN cells c ON c.id = h.cell_id",
            "WHERE c.run_id = ?"), run_id) else data.frame()
  hosts <- if ("hosts" %in% tables) q("SELECT * FROM hosts WHERE run_id = ? ORDER BY name", run_id) else data.frame()
  version <- q("SELECT max(version) AS v FROM schema_version")$v
  if (!"host" %in% names(cells)) cells$host <- rep("", nrow(cells))
  cells <- with_env(with_pvos(cells, version))
  where <- function(t) {
    if (!nrow(t)) return(t)
    m <- match(t$cell_id, cells$id)
    t$env <- cells$env[m]
    t$label <- cells$label[m]
    if ("platform" %in% names(t)) t$platform <- cells$platform[m]
    t
  }
  list(run = runs[runs$id == run_id, ], runs = runs, cells = cells, samples = where(samples), dstats = where(dstats),
       hist = where(hist), counters = where(counters), reps = reps, hosts = hosts, version = version)
}

# The platform each cell ran: before schema version 6 pv's cpu, hcall and
# lmbench cells ran pvos (pvlab's own kernel) and pv's other cells Linux
# PV; pvbench's migration renames them (docs/results.md), the report
# reads an older file the same way without writing it.
with_pvos <- function(cells, version) {
  if (!is.na(version) && version < 6)
    cells$platform[cells$platform == "pv" & cells$workload %in% c("cpu", "hcall", "lmbench")] <- "pvos"
  cells
}

# Where each cell was measured: cells.env (schema 4); before it every cell
# ran on this host, and a full-virt cell QEMU ran without KVM (detail
# accel=tcg) was an emulated machine all the same.
with_env <- function(cells) {
  if (!"env" %in% names(cells))
    cells$env <- ifelse(cells$platform == "fullvirt" & grepl("(^| )accel=tcg( |$)", cells$detail), "tcg", "hardware")
  cells$label <- plat_label(cells$platform, cells$env)
  cells
}

# ---- sections ---------------------------------------------------------------

section_host <- function(d) {
  r <- d$run
  facts <- data.frame(
    fact = c("run", "suite", "status", "started", "finished", "host", "CPU", "cores", "memory",
             "kernel", "OS", "pvlab version", "KVM back end", "options"),
    value = c(sprintf("%d of %d in this database", r$id, nrow(d$runs)), r$suite, r$status, r$started,
              ifelse(is.na(r$finished), "(not finished)", r$finished), r$hostname, r$cpu_model,
              as.character(r$cores), sprintf("%d MiB", as.integer(r$mem_mib)), r$kernel, r$os,
              r$pvlab_version, r$kvm_backend, r$options))
  counts <- as.data.frame(table(status = d$cells$status), stringsAsFactors = FALSE)
  names(counts)[2] <- "cells"
  envs <- intersect(ENV_ORDER, unique(d$cells$env))
  where <- data.frame(`measured on` = env_name(envs), cells = vapply(envs, function(e) sum(d$cells$env == e), integer(1)),
                      what = vapply(envs, function(e) {
                        det <- d$cells$detail[d$cells$env == e & !is.na(d$cells$detail)]
                        w <- regmatches(det, regexpr("nested=[^ ]+( [a-z0-9_]+=[^ ]+)*", det))
                        if (length(w)) sub(" (host_kernel|processes|pcpus|qemu|sched)=.*", "", w[1]) else ""
                      }, character(1)), check.names = FALSE)
  c("<h2>Host and run</h2>", html_table(facts), html_table(counts),
    if (length(envs) > 1 || envs[1] != "hardware")
      c("<p>Where the cells were measured. An emulated figure is compared only with native measured in the same environment, never with this host's hardware.</p>",
        html_table(where)))
}

# Samples that describe a workload on one domain: its measured metrics.
fig3_samples <- function(s) {
  # instance 0 holds what pvbench measured around the cell (wall_s, the
  # raw exit), not the workload's own metrics
  s[s$domains == 1 & s$derived == 0 & s$instance > 0 & !(s$workload %in% c("hcall", "lmbench")), ]
}

# Each platform against native measured in the same environment (this
# host's hardware, or one nested host): an emulated figure is never
# divided by a hardware one. A workload's cells in an environment without
# a finished native cell get no ratio (unbased lists them).
# A ratio divides like work by like: a platform that ran its workload at
# another size than native (detail scale=F: run.sh shrinks runs under TCG)
# gets none; attr(, "unscaled") lists them with both scales.
compute_relative <- function(d) {
  done <- d$cells[d$cells$status == "done" & d$cells$domains == 1, ]
  s <- fig3_samples(d$samples[d$samples$cell_id %in% done$id, ])
  if (!"env" %in% names(s)) s$env <- rep("hardware", nrow(s))
  s$scale <- cell_scale(done$detail[match(s$cell_id, done$id)])
  s$scale[s$workload == "cpu"] <- 1        # its kernels run once whatever the scale
  rows <- list()
  unscaled <- list()
  for (w in unique(s$workload)) for (e in intersect(ENV_ORDER, unique(s$env[s$workload == w]))) {
    base <- s[s$workload == w & s$env == e & s$platform == "native", ]
    if (!nrow(base)) next
    for (p in setdiff(unique(s$platform[s$workload == w & s$env == e]), "native")) {
      x <- s[s$workload == w & s$env == e & s$platform == p, ]
      if (!setequal(unique(x$scale), unique(base$scale))) {
        unscaled[[length(unscaled) + 1]] <- data.frame(
          workload = w, platform = p, env = e, scale = paste(sort(unique(x$scale)), collapse = "/"),
          native_scale = paste(sort(unique(base$scale)), collapse = "/"))
        next
      }
      ci <- relative_perf_ci(base, x)
      pv <- relative_welch_p(base, x)
      rows[[length(rows) + 1]] <- data.frame(
        workload = w, platform = p, env = e, est = ci[["est"]], lo = ci[["lo"]], hi = ci[["hi"]],
        metrics = length(common_metrics(base, x)),
        reps = length(unique(x$rep)), native_reps = length(unique(base$rep)), welch_p = pv,
        differs = !is.na(pv) & pv < ALPHA,
        no_interval = ci_missing_why(length(unique(base$rep)), length(unique(x$rep))))
    }
    rows[[length(rows) + 1]] <- data.frame(
      workload = w, platform = "native", env = e, est = 1, lo = NA_real_, hi = NA_real_,
      metrics = length(unique(base$metric)), reps = length(unique(base$rep)),
      native_reps = length(unique(base$rep)), welch_p = NA, differs = FALSE, no_interval = "")
  }
  if (!length(rows)) return(NULL)
  rel <- do.call(rbind, rows)
  attr(rel, "unscaled") <- if (length(unscaled)) do.call(rbind, unscaled) else NULL
  rel
}

# The work factor a cell's workload ran at (detail scale=F; 1 without).
cell_scale <- function(detail) {
  f <- suppressWarnings(as.numeric(sub(".*(^| )scale=([0-9.]+)( .*|$)", "\\2", detail)))
  ifelse(is.na(detail) | !grepl("(^| )scale=[0-9.]+( |$)", detail) | is.na(f), 1, f)
}

# "dbench on fullvirt (scale 0.25, native's 1)" for each of them.
unscaled_text <- function(u) {
  paste(sprintf("%s on %s (scale %s, native's %s)", u$workload, plat_label(u$platform, u$env), u$scale, u$native_scale),
        collapse = ", ")
}

# The finished one-domain cells that have no native in their environment
# to be compared with (a workload, platform, env each).
unbased <- function(d, rel) {
  c1 <- d$cells[d$cells$status == "done" & d$cells$domains == 1 & !(d$cells$workload %in% c("hcall", "lmbench")) &
                  d$cells$platform != "native", ]
  c1 <- c1[!paste(c1$workload, c1$env) %in% paste(rel$workload, rel$env)[rel$platform == "native"], ]
  unique(c1[, c("workload", "platform", "env", "status")])
}

# The relative table as plain text (the closing note of make report).
relative_text <- function(rel) {
  if (is.null(rel) || !nrow(rel)) return("(no workload has a finished native cell to normalise to)")
  u <- attr(rel, "unscaled")
  rel <- rel[order(match(rel$env, ENV_ORDER), rel$workload, match(rel$platform, PLATFORM_ORDER)), ]
  ci <- ifelse(is.na(rel$lo), "", sprintf("[%s, %s]", fmt_num(rel$lo), fmt_num(rel$hi)))
  t <- data.frame(workload = rel$workload, platform = plat_label(rel$platform, rel$env),
                  relative = paste0(fmt_num(rel$est), ifelse(rel$differs, "*", "")), `95% CI` = ci,
                  reps = sprintf("%d/%d", rel$reps, rel$native_reps), check.names = FALSE)
  w <- pmax(nchar(names(t)), vapply(t, function(c) max(nchar(c)), numeric(1)))
  line <- function(v) sub(" +$", "", paste(mapply(function(x, n) formatC(x, width = -n), v, w), collapse = "  "))
  c(line(names(t)), apply(t, 1, line),
    "(native = 1 in each environment, higher is faster; * Welch p < 0.05; reps: platform/native;",
    " [emulated ...]: measured in the nested AMD-V host against native measured there)",
    if (!is.null(u)) paste0("no ratio, a run of another size than native's: ", unscaled_text(u)))
}

section_relative <- function(d, out, paper, map) {
  html <- "<h2>Relative performance (Figure 3 style)</h2>"
  rel <- compute_relative(d)
  if (is.null(rel)) {
    return(list(html = c(html, "<p class=\"none\">No workload has a finished native cell in this run, so nothing can be normalised to native.</p>"),
                plots = character(), rel = NULL))
  }
  ws <- unique(rel$workload)
  c1 <- d$cells[d$cells$domains == 1 & d$cells$workload %in% ws & d$cells$status != "done", ]
  u <- attr(rel, "unscaled")
  missing <- rbind(unique(c1[, c("workload", "platform", "env", "status")]), unbased(d, rel),
                   if (!is.null(u)) data.frame(u[, c("workload", "platform", "env")], status = "scale"))
  missing <- missing[missing$env %in% rel$env | missing$status == "done", ]
  pr <- paper_ratios(paper, map)
  pr <- pr[pr$workload %in% ws, ]
  png <- save_plot(plot_relative(rel, pr, missing), out, "relative", height = 4.5 + 2.5 * (length(unique(c(rel$env, missing$env))) - 1))
  tab <- rel[order(rel$workload, match(rel$env, ENV_ORDER), match(rel$platform, PLATFORM_ORDER)), ]
  tab$paper <- ifelse(tab$env == "hardware", pr$ratio[match(paste(tab$workload, tab$platform), paste(pr$workload, pr$platform))], NA)
  tab$flag <- ifelse(tab$platform == "native", "", welch_flag(tab$welch_p))
  tab$no_interval[tab$platform == "native"] <- ""
  tab$where <- env_name(tab$env)
  tab <- tab[, c("workload", "platform", "where", "est", "lo", "hi", "no_interval", "metrics", "reps", "welch_p", "flag", "paper")]
  names(tab) <- c("workload", "platform", "measured on", "relative", "95% lo", "95% hi", "no interval because", "metrics",
                  "reps", "Welch p vs native", "flag", "paper (SOSP 2003)")
  nobase <- setdiff(unique(d$cells$workload[d$cells$domains == 1]), c(ws, "hcall", "lmbench"))
  ub <- unbased(d, rel)
  done1 <- d$cells[d$cells$status == "done" & d$cells$domains == 1, ]
  groups <- unique(rel[order(rel$workload, match(rel$env, ENV_ORDER)), c("workload", "env")])
  notes <- vapply(seq_len(nrow(groups)), function(i) {
    w <- groups$workload[i]
    e <- groups$env[i]
    ids <- done1$id[done1$workload == w & done1$env == e]
    sprintf("<li><b>%s</b>%s: %s</li>", esc(w), if (e == "hardware") "" else paste0(" (", esc(env_name(e)), ")"),
            esc(repetitions_note(d, ids, d$cells$label)))
  }, character(1))
  list(html = c(html,
    sprintf("<p>Each workload's score is the geometric mean over its metrics (those native and the platform both measured) of native/platform (times) or platform/native (throughputs): above 1 is faster than native. Intervals: 95%% expanded percentile bootstrap over whole repetitions (%d resamples), drawn only where native and the platform each have at least %d repetitions. Welch's t-test compares the per-repetition scores of the platform and native. docs/results.md says how to read both. Black diamonds: the ratios the paper published for Linux (L), Xen (X), VMware Workstation (V) and UML (U) on its workloads (SPEC INT2000 for cpu, OSDB-IR/OLTP for pgbench, dbench, SPEC WEB99 for httperf).</p>", BOOT_N, MIN_CI_REPS),
    "<p>Platforms: <b>pv</b> is Linux PV, Debian's Linux kernel as a Xen PV domain of pvmon, set against native Linux as the paper sets XenoLinux against Linux (its X marks are pv's); <b>pvos</b> is pvlab's own small paravirtual kernel under pvmon, not XenoLinux: it runs only cpu (and the hypercall and lmbench sections below), and has no paper mark.</p>",
    if (any(rel$env != "hardware"))
      "<p>Cells measured in an emulated environment (the nested AMD-V host that scripts/nested-svm.sh makes under QEMU TCG, where this host lacks the hardware virtualization a platform needs) are compared with native measured in that same environment, in a panel of their own: emulated figures show relative costs on emulated hardware and are never divided by this host's hardware native.</p>",
    html_img(png, "Relative performance per workload, native = 1"),
    "<ul class=\"reps\">", notes, "</ul>", html_table(tab),
    if (length(nobase)) sprintf("<p>Not in the figure (no finished native cell to normalise to): %s.</p>",
                                esc(paste(nobase, collapse = ", "))),
    if (nrow(ub)) sprintf("<p>No ratio (no native measured in the same environment; an emulated figure is never divided by a hardware one): %s.</p>",
                          esc(paste(sprintf("%s on %s", ub$workload, plat_label(ub$platform, ub$env)), collapse = ", "))),
    if (!is.null(u))
      sprintf("<p>No ratio (the platform's run was of another size than native's, detail scale): %s.</p>",
              esc(unscaled_text(u)))),
    plots = png, rel = rel)
}

section_kernels <- function(d) {
  done <- d$cells[d$cells$status == "done" & d$cells$domains == 1 & d$cells$workload == "cpu", ]
  s <- d$samples[d$samples$cell_id %in% done$id & d$samples$derived == 0 & grepl("_ms$", d$samples$metric), ]
  if (!nrow(s)) return(NULL)
  m <- aggregate(value ~ metric + label, data = s, FUN = mean)
  w <- reshape(m, idvar = "metric", timevar = "label", direction = "wide")
  names(w) <- sub("^value\\.", "", names(w))
  labs <- intersect(label_order(done$platform, done$env), names(w))
  ratios <- character()
  for (l in labs) {
    i <- match(l, done$label)
    n <- plat_label("native", done$env[i])
    if (done$platform[i] == "native" || !(n %in% labs)) next
    r <- paste0("native/", l)
    w[[r]] <- w[[n]] / w[[l]]
    ratios <- c(ratios, r)
  }
  w$kernel <- sub("_ms$", "", w$metric)
  w <- w[, c("kernel", labs, intersect(unique(ratios), names(w)))]
  c("<h3>CPU kernels, one domain (mean ms per run of a kernel)</h3>",
    "<p>native/platform above 1: the platform ran the kernel faster; each against native measured where it was.</p>",
    html_table(w[order(w$kernel), ]))
}

# The aggregate throughput of each cpu cell on one clock: N / the cell's
# wall time as pvbench measured it (instance 0, derived: native and pvos).
# The guest drivers' own aggregate (uml, fullvirt) comes from the guest's
# /proc/uptime in 10 ms steps with the boot left out: another measure, so
# those platforms are named in left_out instead.
scaling_samples <- function(d) {
  done <- d$cells$id[d$cells$status == "done" & d$cells$workload == "cpu"]
  s <- d$samples[d$samples$cell_id %in% done & d$samples$metric == "aggregate_passes_per_s", ]
  agg <- s[s$instance == 0 & s$derived == 1, ]
  list(agg = agg, left_out = setdiff(unique(s$platform), unique(agg$platform)))
}

# Each environment's scaling points against its own native with one
# process (or its smallest cell where it has none).
scaling_points <- function(agg) {
  do.call(rbind, lapply(split(agg, agg$env, drop = TRUE), function(a) {
    base <- mean(a$value[a$platform == "native" & a$domains == 1])
    norm <- "native x1"
    if (is.na(base)) {
      base <- mean(a$value[a$domains == min(a$domains)])
      norm <- "its smallest cell"
    }
    do.call(rbind, lapply(split(a, list(a$platform, a$domains), drop = TRUE), function(g) {
      ci <- mean_ci(g$value / base)
      data.frame(platform = g$platform[1], env = g$env[1], domains = g$domains[1], est = ci[["est"]], lo = ci[["lo"]],
                 hi = ci[["hi"]], mean_passes = mean(g$value), reps = nrow(g), base = base, norm = norm)
    }))
  }))
}

# The paper's Figure 4 (SPEC WEB99 servers on Linux and Xen, normalised
# to its one-server Linux score) up to the largest count in sc; NULL
# without it.
paper_fig4 <- function(paper, sc) {
  f4 <- paper[paper$figure == "fig4", ]
  one <- f4$value[f4$platform == "L" & grepl(" 1 server", f4$workload)]
  if (!nrow(f4) || length(one) != 1)
    return(NULL)
  p <- data.frame(domains = as.integer(sub(".* ([0-9]+) servers?$", "\\1", f4$workload)),
                  rel = f4$value / one, paper_platform = f4$platform)
  p[p$domains <= max(sc$domains), ]
}

# Figure 4 as the paper ran it: N Linux PV domains each serving httperf
# over its VIF (pv httperf-vif cells), Domain 0's httperf against each,
# the reply rates summed (one domain: its reply_rate).
web_scaling_samples <- function(d) {
  done <- d$cells$id[d$cells$status == "done" & d$cells$workload == "httperf-vif"]
  s <- d$samples[d$samples$cell_id %in% done, ]
  s[(s$domains == 1 & s$metric == "reply_rate") | (s$domains > 1 & s$metric == "aggregate_reply_rate"), ]
}

section_web_scaling <- function(d, out, paper) {
  html <- "<h2>Scaling: Linux PV domains serving httperf (Figure 4)</h2>"
  s <- web_scaling_samples(d)
  if (!nrow(s) || length(unique(s$domains)) < 2)
    return(list(html = c(html, "<p class=\"none\">No httperf-vif cells with several domain counts in this run.</p>"),
                plots = character()))
  # no other platform has a VIF: each environment against its own pv x1
  sc <- scaling_points(s)
  png <- save_plot(plot_scaling(sc, paper_fig4(paper, sc), title = "Scaling: Linux PV domains serving httperf",
                                x = "concurrent Linux PV domains, each serving httperf over its VIF",
                                y = "aggregate replies/s / one domain's"),
                   out, "scaling-web", height = 4.5 + 2.5 * (length(unique(sc$env)) - 1))
  tab <- data.frame(where = env_name(sc$env), domains = sc$domains, replies = sc$mean_passes, reps = sc$reps,
                    rel = sc$est)
  tab <- tab[order(match(tab$where, ENV_NAMES), tab$domains), ]
  names(tab) <- c("measured on", "domains", "aggregate replies/s", "reps", "/ one domain")
  list(html = c(html,
    "<p>N Linux PV domains (N pvmon processes, each in a network namespace of its own) each run nginx; once all serve, Domain 0 runs one httperf against each over its VIF, side by side; the aggregate is the sum of their reply rates, normalised to one domain's in the same environment. The grey marks are the paper's SPEC WEB99 aggregate scores for 1&ndash;16 servers on Linux (L) and Xen (X), normalised to one Linux server.</p>",
    html_img(png, "Aggregate reply rate against concurrent Linux PV domains"), html_table(tab)),
    plots = png)
}

section_scaling <- function(d, out, paper) {
  html <- "<h2>CPU scaling: pvos domains against native processes (Figure 4 style)</h2>"
  done <- d$cells$id[d$cells$status == "done" & d$cells$workload == "cpu"]
  s <- d$samples[d$samples$cell_id %in% done, ]
  ss <- scaling_samples(d)
  agg <- ss$agg
  if (length(ss$left_out))
    html <- c(html, sprintf("<p>Not in the aggregate-throughput figure and table: %s. Their drivers time the workload with the guest's own clock (/proc/uptime, 10 ms steps, boot left out), while native and pvos cells are timed by pvbench from start to exit; the two are not the same measure.</p>",
                            esc(paste(ss$left_out, collapse = ", "))))
  if (!nrow(agg) || length(unique(agg$domains)) < 2)
    return(list(html = c(html, "<p class=\"none\">No cpu cells with several domain counts in this run.</p>"),
                plots = character()))
  sc <- scaling_points(agg)
  norms <- unique(sc[, c("env", "norm", "base")])
  norm_label <- paste(sprintf("%s%s (%.3g passes/s)", norms$norm,
                              ifelse(norms$env == "hardware", "", paste0(" ", ENV_SHORT[norms$env])), norms$base),
                      collapse = "; ")
  paper4 <- paper_fig4(paper, sc)
  nenv <- length(unique(sc$env))
  png1 <- save_plot(plot_scaling(sc, paper4), out, "scaling", height = 4.5 + 2.5 * (nenv - 1))
  per <- s[s$metric == "passes_per_s" & s$instance > 0, ]
  pd <- do.call(rbind, lapply(split(per, list(per$platform, per$env, per$domains), drop = TRUE), function(g) {
    by_rep <- aggregate(value ~ rep, data = g, FUN = mean)
    slow <- aggregate(value ~ rep, data = g, FUN = min)
    ci <- mean_ci(by_rep$value)
    data.frame(platform = g$platform[1], env = g$env[1], domains = g$domains[1], est = ci[["est"]], lo = ci[["lo"]],
               hi = ci[["hi"]], min = mean(slow$value))
  }))
  png2 <- save_plot(plot_per_domain(pd), out, "scaling-per-domain", height = 4.5 + 2.5 * (nenv - 1))
  # Welch on pvos vs native at each count, in each environment
  tab <- do.call(rbind, lapply(intersect(ENV_ORDER, unique(sc$env)), function(e) {
    x <- sc[sc$env == e, ]
    t <- merge(x[x$platform == "native", c("domains", "mean_passes", "reps")],
               x[x$platform == "pvos", c("domains", "mean_passes", "reps")], by = "domains", all = TRUE,
               suffixes = c(".native", ".pvos"))
    if (!nrow(t)) return(NULL)
    a <- agg[agg$env == e, ]
    t$pvos_over_native <- t$mean_passes.pvos / t$mean_passes.native
    t$welch_p <- vapply(t$domains, function(n) welch_p(a$value[a$platform == "native" & a$domains == n],
                                                         a$value[a$platform == "pvos" & a$domains == n]), numeric(1))
    t$flag <- welch_flag(t$welch_p)
    cbind(where = env_name(e), t)
  }))
  names(tab) <- c("measured on", "domains", "native passes/s", "native reps", "pvos passes/s", "pvos reps", "pvos/native",
                  "Welch p", "flag")
  cpu_done <- d$cells[d$cells$status == "done" & d$cells$workload == "cpu", ]
  notes <- vapply(sort(unique(cpu_done$domains)), function(n) {
    ids <- cpu_done$id[cpu_done$domains == n]
    sprintf("<li><b>N = %d</b>: %s</li>", n, esc(repetitions_note(d, ids, d$cells$label)))
  }, character(1))
  list(html = c(html,
    sprintf("<p>N concurrent pvos domains (pvlab's own kernel, one pvmon) or N native processes each run the CPU kernels once (a pass); the Linux PV domains' scaling is the httperf figure below. Aggregate throughput = N / wall time of the cell, normalised to %s, in each environment to its own; intervals: 95%% expanded percentile bootstrap of the mean, drawn where a point has at least %d repetitions. The paper's marks are its SPEC WEB99 aggregate scores for 1&ndash;16 servers on Linux (L) and Xen (X), normalised to one Linux server.</p>", esc(norm_label), MIN_CI_REPS),
    html_img(png1, "Aggregate throughput against concurrent domains"), html_table(tab),
    html_img(png2, "Per-domain throughput against concurrent domains"),
    "<ul class=\"reps\">", notes, "</ul>"),
    plots = c(png1, png2))
}

section_hcall <- function(d, out) {
  html <- "<h2>Hypercalls (pvos)</h2>"
  done <- d$cells$id[d$cells$status == "done" & d$cells$workload == "hcall"]
  s <- d$samples[d$samples$cell_id %in% done, ]
  if (!nrow(s)) return(list(html = c(html, "<p class=\"none\">No hypercall cell in this run.</p>"), plots = character()))
  names_map <- c(raw_exit_ns = "raw KVM port-I/O exit", null_hcall_ns = "null hypercall",
                 multicall_b1_ns = "multicall, batch 1 (per call)", multicall_b16_ns = "multicall, batch 16 (per call)",
                 multicall_b256_ns = "multicall, batch 256 (per call)")
  s <- s[s$metric %in% names(names_map), ]
  s$what <- factor(names_map[s$metric], levels = names_map)
  png <- save_plot(plot_hcall(s), out, "hcall", height = 6)
  envs <- intersect(ENV_ORDER, unique(s$env))
  per_env <- lapply(envs, function(e) {
    x <- s[s$env == e, ]
    med <- aggregate(value ~ metric, data = x, FUN = median)
    n <- aggregate(value ~ metric, data = x, FUN = length)
    get <- function(m) { v <- med$value[med$metric == m]; if (length(v)) v else NA }
    list(tab = data.frame(where = env_name(e), figure = names_map[med$metric], median_us = med$value / 1000,
                          reps = n$value[match(med$metric, n$metric)]),
         ratios = data.frame(where = env_name(e),
           ratio = c("null hypercall / raw exit (budget <= 1.10)", "multicall batch 16 / batch 1", "multicall batch 256 / batch 1"),
           value = c(get("null_hcall_ns") / get("raw_exit_ns"), get("multicall_b16_ns") / get("multicall_b1_ns"),
                     get("multicall_b256_ns") / get("multicall_b1_ns"))))
  })
  tab <- do.call(rbind, lapply(per_env, `[[`, "tab"))
  ratios <- do.call(rbind, lapply(per_env, `[[`, "ratios"))
  names(tab)[1] <- names(ratios)[1] <- "measured on"
  boot <- d$dstats[d$dstats$cell_id %in% done, ]
  parts <- c(html, "<p>pvos's <code>prog=hcall</code> times 3000 calls of each kind; every repetition also measures the raw port-I/O exit (a bare guest loop) of the machine it ran on, the floor any hypercall there pays.</p>",
             html_img(png, "Hypercall latency over repetitions"),
             sprintf("<p class=\"reps\">%s</p>", esc(repetitions_note(d, done, d$cells$label))),
             html_table(tab[order(match(tab[[1]], ENV_NAMES), tab$median_us), ], 4),
             html_table(ratios, 4))
  for (e in intersect(ENV_ORDER, unique(boot$env)))
    parts <- c(parts, sprintf("<p>Domain create to the guest's first hypercall%s: median %.3f ms over %d boots.</p>",
                              if (e == "hardware") "" else paste0(" (", env_name(e), ")"),
                              median(boot$boot_ns[boot$env == e]) / 1e6, sum(boot$env == e)))
  plots <- png
  if (nrow(d$hist)) {
    h <- aggregate(count ~ hypercall + lo_ns + hi_ns, data = d$hist, FUN = sum)
    lab <- function(ns) ifelse(ns >= 1e6, sprintf("%gms", ns / 1e6), ifelse(ns >= 1e3, sprintf("%gus", ns / 1e3), sprintf("%gns", ns)))
    lv <- sort(unique(h$lo_ns))
    h$bucket <- factor(lab(h$lo_ns), levels = lab(lv))
    p <- ggplot(h, aes(x = bucket, y = count)) + geom_col(fill = "#1f78b4") +
      facet_wrap(~hypercall, ncol = 1, scales = "free_y") +
      labs(x = "latency bucket [lo, 2 lo), log2", y = "calls",
           title = "Per-call hypercall latency in pvmon, from the LTTng traces",
           subtitle = "hcall_exit's latency_ns as pvtrace hist counts it; all = every hypercall, null = the null hypercall") +
      theme_report() + theme(axis.text.x = element_text(angle = 45, hjust = 1))
    plots <- c(plots, save_plot(p, out, "hcall-trace", height = 5))
    parts <- c(parts, html_img(plots[2], "Per-call hypercall latency (traced runs)"))
  } else {
    parts <- c(parts, "<p>Per-call latency histograms come from traced runs (<code>pvbench run --trace</code> with pvtrace built); this run has none.</p>")
  }
  list(html = parts, plots = plots)
}

# The lmbench rows of the native, pv (Linux PV) and pvos cells side by
# side, each over native with Welch's flag, the paper's XenoLinux /
# uniprocessor Linux (L-UP) ratio of the same row beside pv's, and on pvos
# the mmu_update cost per entry by batch size.
section_lmbench <- function(d, paper, map) {
  html <- "<h2>lmbench-style microbenchmarks (Tables 3-5 style)</h2>"
  cells <- d$cells[d$cells$workload == "lmbench" & d$cells$status == "done", ]
  if (!"env" %in% names(cells)) cells <- with_env(cells)
  s <- d$samples[d$samples$cell_id %in% cells$id & d$samples$instance > 0, ]
  s$env <- cells$env[match(s$cell_id, cells$id)]
  ref <- paper[paper$figure %in% c("table3", "table5"), ]
  lm <- map[map$kind == "lmbench", ]
  paper_ratio <- function(row) {
    pw <- lm$paper[lm$ours == row]
    if (!length(pw)) return(NA_real_)
    l <- ref$value[ref$workload == pw & ref$platform == "L-UP"]
    x <- ref$value[ref$workload == pw & ref$platform == "X"]
    if (length(l) == 1 && length(x) == 1) x / l else NA_real_
  }
  rows <- s[!grepl("^(mmu_update_|build16m_)", s$metric), ]
  if (!nrow(rows)) {
    why <- d$cells$reason[d$cells$workload == "lmbench"]
    return(c(html, sprintf("<p class=\"none\">No lmbench rows in this run%s.</p>",
                           if (length(why) && !is.na(why[1])) paste0(" (", esc(why[1]), ")") else "")))
  }
  # native, pv and pvos of one environment, row by row
  envs <- intersect(ENV_ORDER, unique(rows$env))
  tab <- do.call(rbind, lapply(envs, function(e) do.call(rbind, lapply(unique(rows$metric[rows$env == e]), function(m) {
    r <- rows[rows$metric == m & rows$env == e, ]
    v <- lapply(c(native = "native", pv = "pv", pvos = "pvos"), function(p) r$value[r$platform == p])
    missing_why <- function(plat) {
      det <- cells$detail[cells$platform == plat & cells$env == e]
      w <- if (length(det)) regmatches(det, regexpr(paste0("no_", m, "=[^ ]*"), det)) else character()
      if (length(w)) gsub("_", " ", sub(paste0("^no_", m, "="), "", w)) else "no cell"
    }
    over <- function(p) if (length(v$native) && length(v[[p]])) mean(v[[p]]) / mean(v$native) else NA
    flag <- function(p) if (length(v$native) && length(v[[p]])) welch_flag(welch_p(v$native, v[[p]])) else ""
    avg <- function(p) if (length(v[[p]])) mean(v[[p]]) else NA
    data.frame(row = m, `measured on` = env_name(e), unit = r$unit[1], native = avg("native"),
               pv = avg("pv"), `pv/native` = over("pv"), `pv flag` = flag("pv"),
               `paper X/L-UP` = if (e == "hardware") paper_ratio(m) else NA,
               pvos = avg("pvos"), `pvos/native` = over("pvos"), `pvos flag` = flag("pvos"),
               `not supported` = paste(unlist(lapply(names(v), function(p) if (!length(v[[p]])) paste0(p, ": ", missing_why(p)))),
                                       collapse = "; "),
               check.names = FALSE)
  }))))
  if (length(envs) == 1 && envs == "hardware") tab$`measured on` <- NULL
  html <- c(html, "<p>Means over repetitions of <code>pvbench lmbench --quick</code> (workloads/lmbench.c), whose one run measures the native, pvos and Linux PV rows of a repetition: pv is its Linux PV column (the same program in a Linux PV domain of pvmon), pvos a pvos process (pvlab's own kernel, not XenoLinux). Latencies (platform/native &gt; 1 is slower) and pipe bandwidth in MB/s (platform/native &lt; 1 is slower), each against native measured where it was. The paper's column is XenoLinux over its uniprocessor Linux (L-UP, the baseline row of its Tables 3 and 5) for the same row, set beside pv's and beside hardware figures only; pvos has no paper counterpart.</p>",
            html_table(tab, 4))
  for (e in envs) {
    mmu <- s[s$env == e & grepl("^mmu_update_b[0-9]+_ns$", s$metric), ]
    if (!nrow(mmu)) next
    a <- aggregate(value ~ metric, data = mmu, FUN = mean)
    a$batch <- as.integer(sub("^mmu_update_b([0-9]+)_ns$", "\\1", a$metric))
    a <- a[order(a$batch), ]
    one <- a$value[a$batch == 1]
    mt <- data.frame(batch = a$batch, `ns per entry` = a$value,
                     `ratio to batch 1` = if (length(one)) a$value / one else NA, check.names = FALSE)
    b <- s[s$env == e & grepl("^build16m_", s$metric), ]
    extra <- if (nrow(b)) {
      tr <- b$value[b$metric == "build16m_trapped_ns"]
      ba <- mean(b$value[b$metric == "build16m_batched_ns"])
      if (length(tr))
        sprintf("<p>Building a 16 MiB address space: trapped single writes %.1f ms, batched mmu_update %.2f ms (%.0fx).</p>",
                mean(tr) / 1e6, ba / 1e6, mean(tr) / ba)
      else  # nested-paging hosts: the pool is mapped read-only, direct writes fault
        sprintf("<p>Building a 16 MiB address space: batched mmu_update %.2f ms; trapped single writes are not supported on this host (nested paging).</p>",
                ba / 1e6)
    }
    html <- c(html, sprintf("<h3>mmu_update per entry by batch size (pvos%s; budget: batch 2048 &le; 0.02 of batch 1)</h3>",
                            if (e == "hardware") "" else paste(",", esc(env_name(e)))),
              html_table(mt, 4), extra)
  }
  html
}

section_dstats <- function(d) {
  s <- d$dstats
  if (!nrow(s)) return(NULL)
  cells <- d$cells[match(s$cell_id, d$cells$id), ]
  s$cell <- paste(cells$workload, cells$domains, ifelse(cells$env == "hardware", "", paste0("[", ENV_SHORT[cells$env], "]")))
  num <- c("run_ns", "wait_ns", "blocked_ns", "hypercalls", "upcalls", "exits", "kvm_exits", "kvm_insn_emulation",
           "boot_ns")
  a <- aggregate(s[, num], by = list(cell = s$cell), FUN = mean)
  a$run_ns <- a$run_ns / 1e6; a$wait_ns <- a$wait_ns / 1e6; a$blocked_ns <- a$blocked_ns / 1e6; a$boot_ns <- a$boot_ns / 1e6
  names(a) <- c("pvos cell (workload, domains)", "run ms", "wait ms", "blocked ms", "hypercalls", "upcalls",
                "pvmon exits", "KVM exits", "KVM emulated insns", "boot ms")
  a <- a[order(a[[1]]), ]
  c("<h2>pvmon's accounting per domain</h2>",
    "<p>Means per domain and repetition, from <code>pvmon --stats-json</code>: run, runnable-but-waiting and blocked time, hypercalls, event upcalls, pvmon's exits, and KVM's own per-vCPU statistics.</p>",
    html_table(a, 4))
}

section_counters <- function(d) {
  k <- d$counters
  if (!nrow(k)) return(NULL)
  k$cell <- paste(k$label, k$workload, k$domains)
  ns <- k$unit == "ns"
  k$value[ns] <- k$value[ns] / 1e6
  k$name[ns] <- paste(k$name[ns], "(ms)")
  a <- aggregate(value ~ cell + name + unit, data = k, FUN = mean)
  w <- reshape(a, idvar = "cell", timevar = "name", direction = "wide", drop = "unit")
  names(w) <- sub("^value\\.", "", names(w))
  c("<h2>Counters (--counters)</h2>",
    sprintf("<p>Means per repetition over every process of the workload, threads and children included. Counter set: %s.</p>",
            esc(paste(unique(k$note), collapse = "; "))), html_table(w[order(w$cell), ], 4))
}

section_tests <- function(d) {
  done <- d$cells$id[d$cells$status == "done" & d$cells$domains == 1]
  s <- d$samples[d$samples$cell_id %in% done & d$samples$derived == 0 & d$samples$instance > 0, ]
  s$platform <- s$label      # pairs within an environment, named with it
  rows <- do.call(rbind, lapply(split(s, list(s$workload, s$env), drop = TRUE), function(g) {
    t <- pairwise_tests(g)
    if (is.null(t)) NULL else cbind(workload = g$workload[1], t)
  }))
  if (is.null(rows) || !nrow(rows)) return(NULL)
  rows <- rows[, c("workload", "metric", "a", "b", "mean_a", "mean_b", "b_over_a", "n_a", "n_b", "p", "flag")]
  c("<h2>Every pair of platforms (Welch's t-test, p &lt; 0.05 flagged)</h2>",
    sprintf("<p>%d of %d pairs differ. Pairs are drawn within one environment only.</p>", sum(rows$flag == "differs"), nrow(rows)),
    html_table(rows, 4))
}

section_missing <- function(d) {
  m <- d$cells[d$cells$status != "done", c("label", "workload", "domains", "status", "reason", "detail")]
  names(m)[1] <- "platform"
  c("<h2>Not supported or failed</h2>",
    "<p>Every cell that did not produce results, with the reason pvbench recorded.</p>", html_table(m))
}

section_cells <- function(d) {
  cols <- c("seq", if (any(d$cells$host != "")) "host", "label", "workload", "domains", "reps", "status", "detail", "wall_s")
  c <- d$cells[, cols]
  names(c)[names(c) == "label"] <- "platform"
  c("<h2>All cells</h2>", html_table(c))
}

# ---- main -------------------------------------------------------------------

main <- function() {
  o <- parse_args(commandArgs(trailingOnly = TRUE))
  d <- read_db(o$db, o$run)
  dir.create(o$out, showWarnings = FALSE, recursive = TRUE)
  if (!dir.exists(o$out)) die("cannot create ", o$out)
  set.seed(1)      # the bootstrap intervals of one database are reproducible
  paper <- read.csv(file.path(HERE, "paper-results.csv"), comment.char = "#", strip.white = TRUE)
  map <- read.csv(file.path(HERE, "paper-map.csv"), comment.char = "#", strip.white = TRUE)
  # the per-host view sees every host; the pooled sections one back end
  hrel <- host_relative(d)
  hspread <- host_spread(hrel)
  hplats <- host_platforms(d)
  hosts_html <- section_per_host(d, hrel, hspread, hplats)
  all <- d
  pooled <- pool_one_backend(d)
  d <- pooled$d
  rel <- section_relative(d, o$out, paper, map)
  sc <- section_scaling(d, o$out, paper)
  ws <- section_web_scaling(d, o$out, paper)
  hc <- section_hcall(d, o$out)
  title <- sprintf("pvlab report: run %d (%s)", d$run$id, basename(d$run$suite))
  from <- if (is.na(o$from)) normalizePath(o$db) else o$from
  body <- c(sprintf("<h1>%s</h1>", esc(title)),
            sprintf("<p>From <code>%s</code> (schema version %d), written %s by <code>pvbench report</code>.</p>",
                    esc(from), d$version, format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z")),
            if (d$run$status != "done") "<p class=\"note\">This run is not finished: some cells are still pending; <code>pvbench run</code> with the same suite resumes it.</p>",
            pooled$note, section_host(d), hosts_html, rel$html, section_kernels(d), sc$html, ws$html, hc$html,
            section_lmbench(d, paper, map), section_dstats(d), section_counters(d), section_tests(d),
            section_missing(d), section_cells(d))
  index <- file.path(o$out, "index.html")
  writeLines(html_page(title, body), index)
  # the relative table as text, for the closing note of make report
  writeLines(relative_text(rel$rel), file.path(o$out, "relative.txt"))
  if (nrow(all$hosts) > 1) {
    writeLines(per_host_text(all, hrel, hspread, hplats), file.path(o$out, "per-host.txt"))
    cat(sprintf("report: the per-host view in %s\n", normalizePath(file.path(o$out, "per-host.txt"))))
  }
  plots <- c(rel$plots, sc$plots, ws$plots, hc$plots)
  cat(sprintf("report: %d plots (PNG and SVG) in %s\n", length(plots), normalizePath(o$out)))
  cat(sprintf("report: wrote %s and relative.txt\n", normalizePath(index)))
}

# Sourced by analysis/test_stats.R for its sections: run only as a script.
if (sys.nframe() == 0) main()
