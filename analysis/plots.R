# The report's figures (ggplot2), each written as PNG and SVG.

PLATFORM_COLOURS <- c(native = "#4d4d4d", pv = "#1f78b4", fullvirt = "#e31a1c", uml = "#33a02c")
PLATFORM_ORDER <- c("native", "pv", "fullvirt", "uml")

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
  # every workload gets a slot for every platform, so that bars, labels
  # and the paper's marks line up (a missing cell is a zero-height bar)
  full <- expand.grid(workload = unique(rel$workload), platform = plats, stringsAsFactors = FALSE)
  rel <- merge(full, rel, all.x = TRUE)
  why <- setNames(ifelse(missing$status == "failed", "failed", "not supported"),
                  paste(missing$workload, missing$platform))
  rel$missing <- why[paste(rel$workload, rel$platform)]
  rel$bar <- ifelse(is.na(rel$est), 0, rel$est)
  rel$platform <- factor(rel$platform, levels = plats)
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
  paper <- paper[paper$platform %in% plats, ]
  if (!is.null(paper) && nrow(paper)) {
    paper <- merge(full, paper, all.x = TRUE)
    paper$platform <- factor(paper$platform, levels = plats)
    p <- p + geom_point(data = paper, aes(x = workload, y = ratio, group = platform, shape = "paper (SOSP 2003)"),
                        position = dodge, size = 2.6, fill = "black", inherit.aes = FALSE, na.rm = TRUE) +
      scale_shape_manual(name = NULL, values = c("paper (SOSP 2003)" = 23))
  }
  p + scale_fill_manual(values = PLATFORM_COLOURS, drop = FALSE, name = "platform") +
    coord_cartesian(ylim = c(0, ymax)) +
    labs(x = NULL, y = "relative performance (native = 1, higher is better)",
         title = "Relative performance per workload",
         subtitle = sprintf("geometric mean over each workload's metrics; 95%% bootstrap CI where both sides have %d+ repetitions; * Welch p < 0.05 vs native", MIN_CI_REPS)) +
    theme_report()
}

# Figure 4 style: aggregate throughput of N concurrent domains/processes,
# normalised to native with one process; the paper's SPEC WEB99 servers
# (normalised to its one-server Linux score) as grey reference marks.
plot_scaling <- function(sc, paper4) {
  sc$platform <- factor(sc$platform, levels = PLATFORM_ORDER)
  p <- ggplot(sc, aes(x = domains, y = est, colour = platform)) +
    geom_line() + geom_point(size = 2) +
    geom_errorbar(aes(ymin = lo, ymax = hi), width = 0.08, na.rm = TRUE)
  if (!is.null(paper4) && nrow(paper4)) {
    p <- p + geom_point(data = paper4, aes(x = domains, y = rel, shape = paper_platform), colour = "grey45",
                        size = 2.4, inherit.aes = FALSE) +
      scale_shape_manual(name = "paper, SPEC WEB99 servers", values = c(L = 1, X = 2))
  }
  p + scale_x_continuous(trans = "log2", breaks = sort(unique(sc$domains))) +
    scale_colour_manual(values = PLATFORM_COLOURS, drop = TRUE) +
    labs(x = "concurrent domains (pv) / processes (native)",
         y = "aggregate throughput / native x1",
         title = "Scaling: aggregate CPU throughput",
         subtitle = sprintf("mean of repetitions; 95%% bootstrap intervals where a point has %d+ repetitions", MIN_CI_REPS)) +
    theme_report()
}

plot_per_domain <- function(pd) {
  pd$platform <- factor(pd$platform, levels = PLATFORM_ORDER)
  ggplot(pd, aes(x = domains, y = est, colour = platform)) +
    geom_line() + geom_point(size = 2) +
    geom_errorbar(aes(ymin = lo, ymax = hi), width = 0.08, na.rm = TRUE) +
    geom_point(aes(y = min), shape = 6, size = 1.6, na.rm = TRUE) +
    scale_x_continuous(trans = "log2", breaks = sort(unique(pd$domains))) +
    scale_y_continuous(limits = c(0, NA)) +
    scale_colour_manual(values = PLATFORM_COLOURS, drop = TRUE) +
    labs(x = "concurrent domains (pv) / processes (native)", y = "passes/s per domain",
         title = "Scaling: throughput of each domain",
         subtitle = sprintf("mean over domains and repetitions, 95%% bootstrap intervals (%d+ repetitions); triangles: the slowest domain", MIN_CI_REPS)) +
    theme_report()
}

# Hypercall costs: the distribution over repetitions of the null
# hypercall and of the raw KVM exit measured beside it, and multicall's
# per-call cost by batch size.
plot_hcall <- function(h) {
  h$what <- factor(h$what, levels = unique(h$what))
  bins <- max(10, min(40, nrow(h) / 2))
  ggplot(h, aes(x = value / 1000, fill = what)) +
    geom_histogram(bins = bins, alpha = 0.75, position = "identity", colour = "white", linewidth = 0.2) +
    facet_wrap(~what, ncol = 1, scales = "free_y") +
    labs(x = "microseconds per call (mean of one repetition's calls)", y = "repetitions",
         title = "Hypercall latency", subtitle = "one value per repetition; raw exit measured in the same repetition") +
    theme_report() + theme(legend.position = "none")
}
