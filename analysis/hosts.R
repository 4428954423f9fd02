# The per-host view of a run measured on several hosts (pvbench fleet,
# docs/fleet.md): each host against the median host of its KVM back end,
# the spread between the hosts, the hosts that stand out, and each host's
# platforms against its own native. Hosts whose KVM back ends differ (or
# one emulated, one not) are never pooled nor compared with each other.

# A host stands out when it is at least OUTLIER_MIN off its group's median
# host and OUTLIER_NOISE times its own repetition-to-repetition noise;
# with fewer than 3 hosts in a group there is no median host to be off.
OUTLIER_MIN <- 0.10
OUTLIER_NOISE <- 3
OUTLIER_HOSTS <- 3

# "pvm", "vmx (emulated)", "none": the word kvm= of the facts pvbench
# recorded, and whether the CPU was emulated.
backend_group <- function(kvm_backend, emulated) {
  kvm <- ifelse(grepl("(^| )kvm=[^ ]+", kvm_backend), sub("^(.* )?kvm=([^ ]+).*$", "\\2", kvm_backend), "none")
  paste0(kvm, ifelse(!is.na(emulated) & emulated == 1, " (emulated)", ""))
}

# The hosts of the run with their group; a run of one machine has one
# host, named "" (this machine).
run_hosts <- function(d) {
  h <- d$hosts
  if (!nrow(h)) return(data.frame(name = character(), group = character()))
  h$group <- backend_group(h$kvm_backend, h$emulated)
  h
}

# Per host and kind of cell (workload, domains, platform, environment):
# the geometric mean over the metrics of the host's median against the
# median host of its group (oriented: above 1 is faster), and the host's
# own noise (median coefficient of variation of its repetitions).
host_relative <- function(d) {
  h <- run_hosts(d)
  s <- d$samples[d$samples$derived == 0 & d$samples$instance > 0 &
                   d$samples$cell_id %in% d$cells$id[d$cells$status == "done"], ]
  if (!nrow(s) || nrow(h) < 2) return(NULL)
  s$host <- d$cells$host[match(s$cell_id, d$cells$id)]
  s$group <- h$group[match(s$host, h$name)]
  s$kind <- paste(s$workload, s$domains, s$platform, s$env, sep = "\r")
  # a repetition's value of a metric: the mean over its instances
  per_rep <- aggregate(value ~ group + host + kind + metric + higher_is_better + rep, data = s, FUN = mean)
  med <- aggregate(value ~ group + host + kind + metric + higher_is_better, data = per_rep, FUN = median)
  cv <- aggregate(value ~ group + host + kind + metric, data = per_rep,
                  FUN = function(v) if (length(v) > 1 && mean(v) != 0) sd(v) / abs(mean(v)) else NA)
  names(cv)[names(cv) == "value"] <- "cv"
  grp <- aggregate(value ~ group + kind + metric, data = med, FUN = median)
  names(grp)[names(grp) == "value"] <- "gmed"
  m <- merge(merge(med, grp), cv)
  m <- m[m$value > 0 & m$gmed > 0, ]
  m$ratio <- ifelse(m$higher_is_better == 1, m$value / m$gmed, m$gmed / m$value)
  key <- function(t) paste(t$group, t$host, t$kind)
  rel <- aggregate(ratio ~ group + host + kind, data = m, FUN = function(v) exp(mean(log(v))))
  names(rel)[names(rel) == "ratio"] <- "relative"
  noisy <- m[!is.na(m$cv), ]
  rel$cv <- NA
  if (nrow(noisy)) {
    noise <- aggregate(cv ~ group + host + kind, data = noisy, FUN = median)
    rel$cv <- noise$cv[match(key(rel), key(noise))]
  }
  nh <- aggregate(host ~ group + kind, data = unique(med[, c("group", "host", "kind")]), FUN = length)
  rel$hosts <- nh$host[match(paste(rel$group, rel$kind), paste(nh$group, nh$kind))]
  rel$outlier <- rel$hosts >= OUTLIER_HOSTS &
    abs(rel$relative - 1) > pmax(OUTLIER_MIN, OUTLIER_NOISE * ifelse(is.na(rel$cv), 0, rel$cv))
  k <- do.call(rbind, strsplit(rel$kind, "\r", fixed = TRUE))
  rel$workload <- k[, 1]
  rel$domains <- as.integer(k[, 2])
  rel$platform <- k[, 3]
  rel$env <- k[, 4]
  rel[order(rel$group, rel$workload, rel$domains, match(rel$platform, PLATFORM_ORDER), rel$host),
      c("group", "host", "workload", "domains", "platform", "env", "relative", "cv", "hosts", "outlier")]
}

# The spread between the hosts of a group, kind by kind: fastest over
# slowest and the coefficient of variation of the hosts' figures.
host_spread <- function(rel) {
  if (is.null(rel) || !nrow(rel)) return(NULL)
  key <- paste(rel$group, rel$workload, rel$domains, rel$platform, rel$env, sep = "\r")
  out <- lapply(split(rel, key), function(r) data.frame(
    group = r$group[1], workload = r$workload[1], domains = r$domains[1], platform = r$platform[1], env = r$env[1],
    hosts = nrow(r), max_min = max(r$relative) / min(r$relative),
    cv = if (nrow(r) > 1) sd(r$relative) / mean(r$relative) else NA,
    outliers = paste(r$host[r$outlier], collapse = ",")))
  do.call(rbind, out)
}

# Each host's platforms against native on the same host (Figure 3 per host).
host_platforms <- function(d) {
  h <- run_hosts(d)
  rows <- list()
  for (name in h$name) {
    ids <- d$cells$id[d$cells$host == name]
    sub <- d
    sub$cells <- d$cells[d$cells$id %in% ids, ]
    sub$samples <- d$samples[d$samples$cell_id %in% ids, ]
    r <- compute_relative(sub)
    if (!is.null(r) && any(r$platform != "native"))
      rows[[length(rows) + 1]] <- cbind(host = name, group = h$group[h$name == name], r[r$platform != "native", ])
  }
  if (length(rows)) do.call(rbind, rows) else NULL
}

pct <- function(x) ifelse(is.na(x), "-", sprintf("%.1f%%", 100 * x))

text_table <- function(t) {
  w <- pmax(nchar(names(t)), vapply(t, function(c) max(nchar(c), 0), numeric(1)))
  line <- function(v) sub(" +$", "", paste(mapply(function(x, n) formatC(x, width = -n), v, w), collapse = "  "))
  c(line(names(t)), if (nrow(t)) apply(t, 1, line))
}

# The view as text (OUT/per-host.txt, the closing note of a fleet run).
per_host_text <- function(d, rel, spread, plats) {
  h <- run_hosts(d)
  if (nrow(h) < 2) return("(one host: no per-host view)")
  facts <- data.frame(host = h$name, `KVM back end` = h$group, CPU = h$cpu_model, kernel = h$kernel,
                      cells = vapply(h$name, function(n) sprintf("%d/%d done", sum(d$cells$host == n & d$cells$status == "done"),
                                                                  sum(d$cells$host == n)), ""), check.names = FALSE)
  out <- c("hosts:", text_table(facts), "")
  if (!is.null(rel) && nrow(rel)) {
    t <- data.frame(host = rel$host, `KVM back end` = rel$group, workload = rel$workload, domains = rel$domains,
                    platform = plat_label(rel$platform, rel$env), relative = fmt_num(rel$relative),
                    noise = pct(rel$cv), outlier = ifelse(rel$outlier, "OUTLIER", ""), check.names = FALSE)
    out <- c(out, "each host against the median host of its KVM back end (above 1: faster):", text_table(t), "")
    sp <- data.frame(`KVM back end` = spread$group, workload = spread$workload, domains = spread$domains,
                     platform = plat_label(spread$platform, spread$env), hosts = spread$hosts,
                     `fastest/slowest` = fmt_num(spread$max_min), `CV between hosts` = pct(spread$cv),
                     outliers = spread$outliers, check.names = FALSE)
    out <- c(out, "spread between hosts:", text_table(sp), "")
  }
  if (!is.null(plats)) {
    p <- data.frame(host = plats$host, workload = plats$workload, platform = plat_label(plats$platform, plats$env),
                    relative = fmt_num(plats$est), check.names = FALSE)
    out <- c(out, "each host's platforms against its own native:", text_table(p), "")
  }
  c(out, sprintf(paste("(noise: the host's own repetition-to-repetition variation; OUTLIER: at least %d%% off the",
                       "median host and %d times its noise, in a group of %d hosts or more)"),
                 round(100 * OUTLIER_MIN), OUTLIER_NOISE, OUTLIER_HOSTS))
}

section_per_host <- function(d, rel, spread, plats) {
  h <- run_hosts(d)
  if (nrow(h) < 2) return(character())
  facts <- h[, c("name", "group", "hostname", "cpu_model", "kernel", "cores", "mem_mib", "seen")]
  names(facts) <- c("host", "KVM back end", "hostname", "CPU", "kernel", "cores", "MiB", "facts taken")
  html <- c("<h2>Results per host</h2>",
            "<p>The run was measured on several hosts (pvbench fleet). Each host is compared with the median host of its KVM back end; hosts whose back ends differ, or whose CPU was emulated, are never pooled or compared.</p>",
            html_table(facts))
  if (!is.null(rel) && nrow(rel)) {
    t <- rel
    t$platform <- plat_label(t$platform, t$env)
    t$noise <- pct(t$cv)
    t$outlier <- ifelse(t$outlier, "OUTLIER", "")
    html <- c(html, "<h3>Each host against the median host of its back end (above 1: faster)</h3>",
              html_table(t[, c("host", "group", "workload", "domains", "platform", "relative", "noise", "outlier")]),
              "<h3>Spread between hosts</h3>",
              html_table(data.frame(`KVM back end` = spread$group, workload = spread$workload, domains = spread$domains,
                                    platform = plat_label(spread$platform, spread$env), hosts = spread$hosts,
                                    `fastest/slowest` = spread$max_min, `CV between hosts` = pct(spread$cv),
                                    outliers = spread$outliers, check.names = FALSE)),
              sprintf("<p>An outlier is at least %d%% off its group's median host and %d times its own repetition noise, in a group of %d hosts or more.</p>",
                      round(100 * OUTLIER_MIN), OUTLIER_NOISE, OUTLIER_HOSTS))
  }
  if (!is.null(plats))
    html <- c(html, "<h3>Each host's platforms against its own native</h3>",
              html_table(data.frame(host = plats$host, workload = plats$workload,
                                    platform = plat_label(plats$platform, plats$env), relative = plats$est)))
  html
}

# The run's other sections pool the hosts' samples: they keep the hosts of
# one back end only (the one with the most hosts), and say so.
pool_one_backend <- function(d) {
  h <- run_hosts(d)
  groups <- unique(h$group)
  if (length(groups) < 2) return(list(d = d, note = NULL))
  n <- vapply(groups, function(g) sum(h$group == g), integer(1))
  keep <- groups[which.max(n)]
  ids <- d$cells$id[d$cells$host %in% h$name[h$group == keep]]
  for (t in c("samples", "dstats", "hist", "counters"))
    if (nrow(d[[t]])) d[[t]] <- d[[t]][d[[t]]$cell_id %in% ids, ]
  d$cells <- d$cells[d$cells$id %in% ids, ]
  list(d = d, note = sprintf(paste("<p class=\"note\">The hosts of this run have different KVM back ends (%s):",
                                   "the sections below pool only the %d host(s) of back end %s; the others are in",
                                   "Results per host.</p>"), esc(paste(groups, collapse = ", ")), max(n), esc(keep)))
}
