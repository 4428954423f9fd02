# How the repetitions behind a figure ran: how many each cell kept and in
# which order they ran, from the reps table (schema version 3; pvbench
# before it ran each cell's repetitions back to back, in suite order).

# Ranges of consecutive integers: c(1, 2, 3, 5) -> "1-3, 5".
int_ranges <- function(v) {
  v <- sort(unique(v))
  starts <- v[c(TRUE, diff(v) != 1)]
  ends <- v[c(diff(v) != 1, TRUE)]
  paste(ifelse(starts == ends, starts, paste0(starts, "-", ends)), collapse = ", ")
}

# One sentence on the cells ids of a figure: the repetitions each kept,
# and the order they ran in. label: each cell's name in the sentence.
repetitions_note <- function(d, ids, label) {
  ids <- ids[order(match(ids, d$cells$id))]
  kept <- vapply(ids, function(i) length(unique(d$samples$rep[d$samples$cell_id == i])), integer(1))
  counts <- paste(sprintf("%s %d", label[match(ids, d$cells$id)], kept), collapse = ", ")
  r <- d$reps[d$reps$cell_id %in% ids, , drop = FALSE]
  if (!nrow(r))
    return(sprintf("Repetitions: %s; their order was not recorded (a database before schema version 3: each cell's repetitions ran back to back, cells in suite order).", counts))
  r <- r[order(r$ord), ]
  r$who <- label[match(r$cell_id, d$cells$id)]
  m <- r[r$rep > 0, ]
  rounds <- sort(unique(m$rep))
  # interleaved: every repetition k ran before any repetition k + 1
  last <- tapply(m$ord, m$rep, max)
  first <- tapply(m$ord, m$rep, min)
  interleaved <- length(rounds) < 2 || all(last[-length(last)] < first[-1])
  if (length(unique(m$who)) == 1) {
    order_txt <- "one cell, its repetitions back to back"
  } else if (interleaved) {
    pat <- vapply(rounds, function(k) paste(m$who[m$rep == k], collapse = ", "), character(1))
    runs <- split(rounds, cumsum(c(TRUE, pat[-1] != pat[-length(pat)])))
    order_txt <- paste(vapply(runs, function(k) sprintf("%s %s: %s", if (length(k) > 1) "rounds" else "round",
                                                          int_ranges(k), pat[rounds == k[1]]), character(1)),
                       collapse = "; ")
    order_txt <- paste("interleaved,", order_txt)
  } else {
    rl <- rle(m$who)
    order_txt <- paste("one after another,", paste(sprintf("%s x%d", rl$values, rl$lengths), collapse = ", "))
  }
  w <- r$who[r$rep == 0]
  cold <- setdiff(unique(m$who), w)
  warm <- paste0(
    if (length(w)) sprintf("; before them a warm-up repetition of %s (its samples not kept)", paste(w, collapse = ", ")) else "",
    if (length(cold)) sprintf("; %s warmed up by an earlier cell", paste(cold, collapse = ", ")) else "")
  failed <- r[r$status != "done", ]
  bad <- if (nrow(failed))
    sprintf("; %s", paste(sprintf("%s %s %s", failed$who, ifelse(failed$rep == 0, "warm-up", paste("repetition", failed$rep)),
                                  failed$status), collapse = ", ")) else ""
  sprintf("Repetitions: %s; %s%s%s.", counts, order_txt, warm, bad)
}
