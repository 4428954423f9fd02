# The HTML report renders in headless Chromium: every embedded plot is
# decoded with a non-zero natural size (read back from the DOM after
# load), and a screenshot of the page is written.
. tests/lib.sh
PVBENCH=$BIN/pvbench
command -v chromium >/dev/null || skip "chromium is not installed (make deps)"
command -v Rscript >/dev/null || skip "R is not installed (r-base-core; make deps)"
$PVBENCH report --db tests/fixtures/fixture.db --out "$TMP/rep" >/dev/null 2>&1 || die "report failed"
# a copy of the page that writes its images' decoded sizes into the DOM
sed 's|</body>|<script>window.addEventListener("load", function () { var r = []; for (const i of document.images) r.push(i.complete \&\& i.naturalWidth > 0 ? i.naturalWidth + "x" + i.naturalHeight : "broken"); document.body.setAttribute("data-imgs", r.join(" ")); });</script></body>|' \
  "$TMP/rep/index.html" > "$TMP/rep/check.html"
chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d "$TMP/chrome.XXXXXX")" "$@" 2>>"$TMP/chrome.log"
}
chrome --dump-dom "file://$TMP/rep/check.html" > "$TMP/dom.html" || { tail "$TMP/chrome.log"; die "chromium --dump-dom failed"; }
imgs=$(sed -n 's/.*data-imgs="\([^"]*\)".*/\1/p' "$TMP/dom.html")
echo "decoded images: $imgs"
[ "$(echo "$imgs" | wc -w)" -eq 5 ] || die "want 5 images in the rendered page, got '$imgs'"
echo "$imgs" | grep -q broken && die "an image did not decode"
for s in $imgs; do w=${s%x*}; [ "$w" -ge 400 ] || die "image too small: $s"; done
chrome --hide-scrollbars --window-size=1100,3000 --screenshot="$TMP/shot.png" "file://$TMP/rep/index.html" >/dev/null ||
  die "screenshot failed"
[ "$(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || die "screenshot is not a PNG"
# IHDR width and height: the size asked for
[ "$(od -An -tx1 -j16 -N8 "$TMP/shot.png" | tr -d ' \n')" = 0000044c00000bb8 ] || die "screenshot size"
[ "$(stat -c %s "$TMP/shot.png")" -gt 100000 ] || die "screenshot is nearly blank"
echo PASS
