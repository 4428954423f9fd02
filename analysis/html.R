# The self-contained HTML report: escaping, tables, and plots embedded as
# base64 PNG (base R has no base64 encoder, hence the one here).

B64 <- strsplit("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "")[[1]]

base64_encode <- function(bytes) {
  n <- length(bytes)
  if (n == 0) return("")
  pad <- (3 - n %% 3) %% 3
  v <- as.integer(c(bytes, as.raw(rep(0, pad))))
  m <- matrix(v, nrow = 3)
  w <- m[1, ] * 65536 + m[2, ] * 256 + m[3, ]
  idx <- rbind(w %/% 262144, (w %/% 4096) %% 64, (w %/% 64) %% 64, w %% 64)
  chars <- B64[as.vector(idx) + 1]
  if (pad) chars[(length(chars) - pad + 1):length(chars)] <- "="
  paste(chars, collapse = "")
}

base64_file <- function(path) {
  base64_encode(readBin(path, "raw", file.info(path)$size))
}

esc <- function(x) {
  x <- gsub("&", "&amp;", as.character(x), fixed = TRUE)
  x <- gsub("<", "&lt;", x, fixed = TRUE)
  gsub(">", "&gt;", x, fixed = TRUE)
}

# Whole numbers as such, others to `digits` significant digits.
fmt_num <- function(x, digits = 3) {
  whole <- !is.na(x) & abs(x - round(x)) < 1e-9 & abs(x) < 1e15
  out <- trimws(formatC(x, digits = digits, format = "fg"))
  out[whole] <- format(round(x[whole]), scientific = FALSE, trim = TRUE)
  ifelse(is.na(x), "", out)
}

# A data frame as an HTML table; numeric columns formatted.
html_table <- function(df, digits = 3, class = "") {
  if (is.null(df) || nrow(df) == 0) return("<p class=\"none\">(none)</p>")
  cells <- lapply(df, function(col) {
    if (is.numeric(col)) fmt_num(col, digits) else esc(ifelse(is.na(col), "", col))
  })
  head <- paste0("<tr>", paste0("<th>", esc(names(df)), "</th>", collapse = ""), "</tr>")
  num <- vapply(df, is.numeric, logical(1))
  rows <- vapply(seq_len(nrow(df)), function(i) {
    tds <- vapply(seq_along(cells), function(j) {
      paste0(if (num[j]) "<td class=\"n\">" else "<td>", cells[[j]][i], "</td>")
    }, character(1))
    paste0("<tr>", paste(tds, collapse = ""), "</tr>")
  }, character(1))
  paste0("<table class=\"", class, "\">", head, paste(rows, collapse = ""), "</table>")
}

html_img <- function(png, alt) {
  sprintf("<figure><img alt=\"%s\" src=\"data:image/png;base64,%s\"><figcaption>%s</figcaption></figure>",
          esc(alt), base64_file(png), esc(alt))
}

CSS <- paste(
  "body{font-family:'DejaVu Sans',sans-serif;max-width:64em;margin:2em auto;padding:0 1em;color:#222}",
  "h1{margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}",
  "table{border-collapse:collapse;margin:.5em 0;font-size:90%}",
  "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}",
  "th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}",
  "figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}",
  "figcaption{font-size:90%;color:#555}.none{color:#777;font-style:italic}",
  ".note{background:#fff8e0;border-left:4px solid #e0b000;padding:.4em .8em}",
  "code{background:#f4f4f4;padding:0 .2em}", sep = "\n")

html_page <- function(title, body) {
  paste0("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
         "<title>", esc(title), "</title><style>", CSS, "</style></head><body>\n",
         paste(body, collapse = "\n"), "\n</body></html>\n")
}
