# The report's figures (ggplot2), each written as PNG and SVG.

# pv: Linux PV (Debian's kernel as a Xen PV domain of pvmon, the paper's
# XenoLinux); pvos: pvlab's own small paravirtual kernel, no paper
# counterpart (docs/results.md).
PLATFORM_COLOURS <- c(native = "#4d4d4d", pv = "#1f78b4", pvos = "#a6cee3", fullvirt = "#e31a1c", uml = "#33a02c")
PLATFORM_ORDER <- c("native", "pv", "pvos", "fullvirt", "uml")

# Where a cell was measured (cells.env, docs/results.md). A figure from an
# emulated environment is compared only with native measured in the same
# one: never with this host's hardware.
ENV_ORDER <- c("hardware", "nested-svm", "nested-svm-shadow", "tcg")
ENV_NAMES <- c(hardware = "this host's hardware",
               "nested-svm" = "emulated: nested AMD-V host (QEMU TCG, kvm_amd, nested paging)",
               "nested-svm-shadow" = "emulated: nested AMD-V host (QEMU TCG, kvm_amd, shadow paging)",
               tcg = "emulated: QEMU TCG (full machine)")
ENV_SHORT <- c(hardware = "", "nested-svm" = "emulated AMD-V", "nested-svm-shadow" = "emulated AMD-V, shadow paging",
               tcg = "emulated, TCG")

env_name <- function(env) unname(ENV_NAMES[env])

# A cell's name in tables and figures: its platform, and where it ran
# unless on hardware ("pv [emulated AMD-V]").
plat_label <- function(platform, env) {
  ifelse(env == "hardware", platform, sprintf("%s [%s]", platform, ENV_SHORT[env]))
}

# The order of labels: environments as ENV_ORDER, platforms as PLATFORM_ORDER.
label_order <- function(platform, env) {
  o <- order(match(env, ENV_ORDER), match(platform, PLATFORM_ORDER))
  unique(plat_label(platform, env)[o])
}

theme_report <- function() {
  theme_bw(base_size = 11) + theme(legend.position = "bottom", panel.grid.minor = element_blank())
}

# Write plot p as OUT/NAME.png and OUT/NAME.svg; returns the PNG path.
save_plot <- function(p, out, name, width = 8, height = 4.5) {
  png_path <- file.path(out, paste0(name, ".png"))
  png(png_path, width = width, height = height, units = "in", res = 110, type = "cairo")
  print(p)
  dev.off()
  svg(file.path(out, paste0(name, ".svg")), width = width, height = height)
  print(p)
  dev.off()
  png_path
}

# Figure 3 style: relative performance per workload, native = 1, bars with
# 95% bootstrap intervals (where there are enough repetitions), the paper's ratios as black diamonds, a star
# where Welch's test says the platform differs from native, and "not
# supported" or "failed" where the cell gave no result.
plot_relative <- function(rel, paper, missing) {
  plats <- intersect(PLATFORM_ORDER, unique(c(rel$platform, missing$platform)))
  envs <- intersect(ENV_ORDER, unique(c(rel$env, missing$env)))
  # every workload gets a slot for every platform of its environment, so
  # that bars, labels and the paper's marks line up (a missing cell is a
  # zero-height bar); one panel per environment, each against its native
  full <- do.call(rbind, lapply(envs, function(e) {
    pe <- intersect(plats, c(rel$platform[rel$env == e], missing$platform[missing$env == e]))
    expand.grid(workload = unique(rel$workload), platform = pe, env = e, stringsAsFactors = FALSE)
  }))
  rel <- merge(full, rel, all.x = TRUE)
  why <- setNames(ifelse(missing$status == "failed", "failed",
                         ifelse(missing$status == "done", "no baseline",
                                ifelse(missing$status == "scale", "other size", "not supported"))),
                  paste(missing$workload, missing$platform, missing$env))
  rel$missing <- why[paste(rel$workload, rel$platform, rel$env)]
  rel$bar <- ifelse(is.na(rel$est), 0, rel$est)
  rel$platform <- factor(rel$platform, levels = plats)
  rel$where <- factor(ENV_NAMES[rel$env], levels = ENV_NAMES[envs])
  rel$label <- ifelse(is.na(rel$est), "", sprintf("%.2f%s", rel$est, ifelse(rel$differs %in% TRUE, "*", "")))
  rel$top <- pmax(rel$bar, rel$hi, na.rm = TRUE)
  dodge <- position_dodge(width = 0.9)
  ymax <- max(c(1.15, rel$hi * 1.1, rel$est * 1.15, paper$ratio * 1.1), na.rm = TRUE)
  p <- ggplot(rel, aes(x = workload, y = bar, fill = platform, group = platform)) +
    geom_col(position = dodge, width = 0.85) +
    geom_errorbar(aes(ymin = lo, ymax = hi), position = dodge, width = 0.25, na.rm = TRUE) +
    geom_text(aes(label = label, y = top), position = dodge, vjust = -0.4, size = 3) +
    geom_text(aes(label = ifelse(is.na(missing), "", missing), y = 0.02), position = dodge, angle = 90,
              hjust = 0, size = 2.6, colour = "grey30") +
    geom_hline(yintercept = 1, linetype = "dashed", colour = "grey40")
  if (length(envs) > 1) p <- p + facet_wrap(~where, ncol = 1)
  # the paper measured hardware: its marks go beside hardware figures only
  paper <- paper[paper$platform %in% plats, ]
  if (!is.null(paper) && nrow(paper) && "hardware" %in% envs) {
    # every slot of the panel, a platform without a mark (pvos) too: the
    # marks then dodge as the bars do
    paper <- merge(full[full$env == "hardware", ], paper, all.x = TRUE)
    paper$platform <- factor(paper$platform, levels = plats)
    paper$where <- factor(ENV_NAMES[paper$env], levels = ENV_NAMES[envs])
    p <- p + geom_point(data = paper, aes(x = workload, y = ratio, group = platform, shape = "paper (SOSP 2003)"),
                        position = dodge, size = 2.6, fill = "black", inherit.aes = FALSE, na.rm = TRUE) +
      scale_shape_manual(name = NULL, values = c("paper (SOSP 2003)" = 23))
  }
  p + scale_fill_manual(values = PLATFORM_COLOURS, drop = FALSE, name = "platform") +
    coord_cartesian(ylim = c(0, ymax)) +
    labs(x = NULL, y = "relative performance (native = 1, higher is better)",
         title = "Relative performance per workload",
         subtitle = sprintf("geometric mean of the metrics; 95%% bootstrap CI at %d+ repetitions a side; * Welch p < 0.05%s",
                            MIN_CI_REPS, if (length(envs) > 1) "\neach panel against the native measured where its cells were, never across panels" else "")) +
    theme_report()
}

# Figure 4 style: aggregate throughput of N concurrent domains/processes,
# normalised to native with one process; the paper's SPEC WEB99 servers
# (normalised to its one-server Linux score) as grey reference marks.
plot_scaling <- function(sc, paper4, title = "Scaling: aggregate CPU throughput",
                         x = "concurrent domains (pvos) / processes (native)",
                         y = "aggregate throughput / native x1 (where measured)") {
  sc$platform <- factor(sc$platform, levels = PLATFORM_ORDER)
  envs <- intersect(ENV_ORDER, unique(sc$env))
  sc$where <- factor(ENV_NAMES[sc$env], levels = ENV_NAMES[envs])
  p <- ggplot(sc, aes(x = domains, y = est, colour = platform)) +
    geom_line() + geom_point(size = 2) +
    geom_errorbar(aes(ymin = lo, ymax = hi), width = 0.08, na.rm = TRUE)
  if (length(envs) > 1) p <- p + facet_wrap(~where, ncol = 1, scales = "free_y")
  if (!is.null(paper4) && nrow(paper4)) {
    p <- p + geom_point(data = paper4, aes(x = domains, y = rel, shape = paper_platform), colour = "grey45",
                        size = 2.4, inherit.aes = FALSE) +
      scale_shape_manual(name = "paper, SPEC WEB99 servers", values = c(L = 1, X = 2))
  }
  p + scale_x_continuous(trans = "log2", breaks = sort(unique(sc$domains))) +
    scale_colour_manual(values = PLATFORM_COLOURS, drop = TRUE) +
    labs(x = x, y = y, title = title,
         subtitle = sprintf("mean of repetitions; 95%% bootstrap intervals where a point has %d+ repetitions", MIN_CI_REPS)) +
    theme_report()
}

plot_per_domain <- function(pd) {
  pd$platform <- factor(pd$platform, levels = PLATFORM_ORDER)
  envs <- intersect(ENV_ORDER, unique(pd$env))
  pd$where <- factor(ENV_NAMES[pd$env], levels = ENV_NAMES[envs])
  p <- ggplot(pd, aes(x = domains, y = est, colour = platform))
  if (length(envs) > 1) p <- p + facet_wrap(~where, ncol = 1, scales = "free_y")
  p +
    geom_line() + geom_point(size = 2) +
    geom_errorbar(aes(ymin = lo, ymax = hi), width = 0.08, na.rm = TRUE) +
    geom_point(aes(y = min), shape = 6, size = 1.6, na.rm = TRUE) +
    scale_x_continuous(trans = "log2", breaks = sort(unique(pd$domains))) +
    scale_y_continuous(limits = c(0, NA)) +
    scale_colour_manual(values = PLATFORM_COLOURS, drop = TRUE) +
    labs(x = "concurrent domains (pvos) / processes (native)", y = "passes/s per domain",
         title = "Scaling: throughput of each domain",
         subtitle = sprintf("mean over domains and repetitions, 95%% bootstrap intervals (%d+ repetitions); triangles: the slowest domain", MIN_CI_REPS)) +
    theme_report()
}

# Hypercall costs: the distribution over repetitions of the null
# hypercall and of the raw KVM exit measured beside it, and multicall's
# per-call cost by batch size.
plot_hcall <- function(h) {
  h$what <- factor(h$what, levels = unique(h$what))
  envs <- intersect(ENV_ORDER, unique(h$env))
  h$where <- factor(ENV_NAMES[h$env], levels = ENV_NAMES[envs])
  bins <- max(10, min(40, nrow(h) / 2))
  ggplot(h, aes(x = value / 1000, fill = what)) +
    geom_histogram(bins = bins, alpha = 0.75, position = "identity", colour = "white", linewidth = 0.2) +
    (if (length(envs) > 1) facet_grid(what ~ where, scales = "free") else facet_wrap(~what, ncol = 1, scales = "free_y")) +
    labs(x = "microseconds per call (mean of one repetition's calls)", y = "repetitions",
         title = "Hypercall latency", subtitle = "one value per repetition; raw exit measured in the same repetition") +
    theme_report() + theme(legend.position = "none")
}
