#!/usr/bin/env bats
# winnow-report: the counts, the Clarify metrics and the thumbnails chosen
# against independent computations (awk, Python), the sections present or
# left out by the columns, hostile ids and labels escaped, bad inputs, and
# every page the suite makes loaded in headless chromium (no console
# errors, every image decoded, the counts shown equal the manifests', a
# hostile id rendered as text, a screenshot written to look at).
load test_helper

T10K=$FMNIST/t10k-images-idx3-ubyte.gz
# where the screenshots of the pages are kept
SHOTS=${WINNOW_REPORT_SHOTS:-${TMPDIR:-/tmp}/winnow-report-screenshots}

# pool N: pool.tsv with N rows (ids p-0.., Fashion-MNIST test images,
# labels from a list that holds a hostile one, a score in [0, 1), pred),
# and kept.tsv: the rows whose score is above 0.6 or whose index is a
# multiple of 7, in pool order, with a weight column.
pool() {
	"$PYTHON" - "$1" "$T10K" <<'PY'
import sys
n, imgs = int(sys.argv[1]), sys.argv[2]
labels = ["shirt", "bag", "&\"'<>", "coat"]
with open("pool.tsv", "w") as p, open("kept.tsv", "w") as k:
    p.write("id\tpath\tlabel\tscore\tpred\n")
    k.write("id\tpath\tlabel\tscore\tpred\tweight\n")
    for i in range(n):
        s = ((i * 7919) % 1000) / 1000.0
        row = "p-%d\t%s#%d\t%s\t%.3f\t%s" % (i, imgs, i, labels[i % 4 if i % 11 else 0], s,
                                             labels[(i + 1) % 4])
        p.write(row + "\n")
        if s > 0.6 or i % 7 == 0:
            k.write(row + "\t1\n")
PY
}

# browse PAGE: load PAGE in headless chromium with a checker injected at the
# top of <head>; prints "imgs N broken B errors E pwned P npool X nkept Y
# ndropped Z filterbad F filtershown S" (console errors and uncaught
# exceptions counted, pwned set by a hostile id that ran as script; F
# elements of another class left shown, S shown, when the class filter
# picks the last class) and writes PAGE.png.
browse() {
	command -v chromium >/dev/null || skip "chromium is not installed (make deps-check)"
	local page=$1 chk="$1.check.html"
	{
		sed -n '1,/<head>/p' "$page" | sed 's/<head>.*//'
		cat <<'JS'
<head><script>
var wnErr = [];
window.addEventListener('error', function (e) { wnErr.push(String(e.message)); }, true);
var wnCe = console.error;
console.error = function () { wnErr.push([].join.call(arguments, ' ')); wnCe.apply(console, arguments); };
window.addEventListener('load', function () {
  var im = document.images, bad = 0;
  for (var i = 0; i < im.length; i++) if (!im[i].complete || im[i].naturalWidth === 0) bad++;
  function t(id) { var e = document.getElementById(id); return e ? e.textContent : '-'; }
  // the class filter: choose the last class; only its elements stay shown
  var sel = document.getElementById('cls'), fbad = 0, fshown = 0;
  if (sel && sel.options.length > 1) {
    sel.selectedIndex = sel.options.length - 1;
    sel.dispatchEvent(new Event('change'));
    var el = document.querySelectorAll('[data-class]');
    for (var j = 0; j < el.length; j++) {
      var on = el[j].style.display !== 'none';
      if (on && el[j].getAttribute('data-class') !== sel.value) fbad++;
      if (on) fshown++;
    }
    sel.selectedIndex = 0;
    sel.dispatchEvent(new Event('change'));
  }
  var p = document.createElement('pre');
  p.id = 'wn-test';
  p.textContent = 'imgs ' + im.length + ' broken ' + bad + ' errors ' + wnErr.length +
    ' pwned ' + (typeof window.pwned) + ' npool ' + t('n-pool') + ' nkept ' + t('n-kept') +
    ' ndropped ' + t('n-dropped') + ' filterbad ' + fbad + ' filtershown ' + fshown +
    ' ' + wnErr.join('|');
  document.body.appendChild(p);
});
</script>
JS
		sed -n '/<head>/,$p' "$page" | sed 's/.*<head>//'
	} >"$chk"
	timeout 120 chromium --headless=new --no-sandbox --disable-gpu --dump-dom \
		"file://$PWD/$chk" 2>/dev/null | sed -n 's/.*<pre id="wn-test">\([^<]*\)<.*/\1/p'
	timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=1280,2000 --screenshot="$PWD/$page.png" "file://$PWD/$page" \
		>/dev/null 2>&1
	[ -s "$page.png" ]
	# kept for a person to look at (the test's folder goes away)
	mkdir -p "$SHOTS"
	cp "$page.png" "$SHOTS/$BATS_TEST_NUMBER-$page.png"
}

# field N LINE...: the Nth word of the browse output
word_after() {
	echo "$2" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

@test "-h prints the usage to stdout, --version the version" {
	run -0 --separate-stderr winnow-report -h
	assert_output --partial "usage: winnow-report -o REPORT.html"
	run -0 winnow-report --version
	assert_output --regexp "^winnow-report [0-9]"
}

@test "usage errors exit 64" {
	pool 20
	run -64 --separate-stderr winnow-report pool.tsv
	[[ $stderr == *"-o REPORT.html is required"* ]]
	run -64 --separate-stderr winnow-report -o r.html -k kept.tsv - <pool.tsv
	[[ $stderr == *"read twice"* ]]
	run -64 --separate-stderr sh -c 'cat pool.tsv | winnow-report -o r.html /dev/stdin'
	[[ $stderr == *"not a pipe"* ]]
	run -64 --separate-stderr winnow-report -o r.html -f 0.3 pool.tsv
	[[ $stderr == *"need --alpha"* ]]
	run -64 winnow-report -o r.html --alpha 1 -f 0.3 -n 5 pool.tsv
	run -64 winnow-report -o r.html --bins 0 pool.tsv
	run -66 winnow-report -o r.html nonexistent.tsv
	assert [ ! -e r.html ]
}

@test "the counts shown equal the manifests', per class too" {
	pool 300
	run -0 winnow-report -o r.html -k kept.tsv pool.tsv
	n=$(($(wc -l <pool.tsv) - 1))
	k=$(($(wc -l <kept.tsv) - 1))
	run grep -o '<b id="n-pool">[0-9]*' r.html
	assert_output "<b id=\"n-pool\">$n"
	run grep -o '<b id="n-kept">[0-9]*' r.html
	assert_output "<b id=\"n-kept\">$k"
	run grep -o '<b id="n-dropped">[0-9]*' r.html
	assert_output "<b id=\"n-dropped\">$((n - k))"
	# per class: pool, kept, dropped from the balance table
	sed -n 's/.*<tr data-class="c:\([^"]*\)"><td class="t">[^<]*<\/td><td class="n-pool">\([0-9]*\)<\/td><td class="n-kept">\([0-9]*\)<\/td><td class="n-dropped">\([0-9]*\)<.*/\1\t\2\t\3\t\4/p' r.html |
		sed 's/&amp;/\&/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g' | sort >shown.tsv
	awk -F'\t' 'FNR == 1 { next } NR == FNR { kept[$1] = 1; next }
		{ n[$3]++; if ($1 in kept) k[$3]++ }
		END { for (c in n) printf "%s\t%d\t%d\t%d\n", c, n[c], k[c], n[c] - k[c] }' \
		kept.tsv pool.tsv | sort >want.tsv
	run diff want.tsv shown.tsv
	assert_success
	assert [ "$(wc -l <want.tsv)" -eq 4 ]
}

@test "Clarify CI and DPL per class equal hand-computed values" {
	# class a: 6 in the pool, 1 kept; class b: 4 in the pool, 3 kept
	make_manifest pool.tsv "id|label|score" "1|a|0.1" "2|a|0.2" "3|b|0.3" "4|a|0.4" \
		"5|b|0.5" "6|a|0.6" "7|b|0.7" "8|a|0.8" "9|b|0.9" "10|a|1"
	make_manifest kept.tsv "id|label|score" "3|b|0.3" "5|b|0.5" "8|a|0.8" "9|b|0.9"
	run -0 winnow-report -o r.html -k kept.tsv pool.tsv
	# CI pool a = (4 - 6)/10, CI kept a = (3 - 1)/4, DPL a = 6/10 - 1/4
	run grep -o '<tr data-class="c:a">.*</tr>' r.html
	assert_output --partial '<td class="ci-pool">-0.2</td><td class="ci-kept">0.5</td><td class="dpl">0.35</td>'
	run grep -o '<tr data-class="c:b">.*</tr>' r.html
	assert_output --partial '<td class="ci-pool">0.2</td><td class="ci-kept">-0.5</td><td class="dpl">-0.35</td>'
}

@test "the thumbnails are the highest, lowest and hash-sampled rows of each class and side" {
	pool 400
	run -0 winnow-report -o r.html -k kept.tsv --per-class 3 pool.tsv
	# highest 3 kept of class "bag" by the page, against a sort of the manifest
	awk -F'\t' '$3 == "bag"' kept.tsv | sort -t "$(printf '\t')" -k4,4gr | head -3 | cut -f1 >want
	awk '/<div class="cls" data-class="c:bag">/ { on = 1 } on && /<h4>kept/ { k = 1 } k && /<div>highest score/ { h = 1; next }
		h && /<\/div>/ { exit } h && /<figcaption>/ { sub(/.*<figcaption>/, ""); sub(/<br>.*/, ""); print }' r.html >got
	run diff want got
	assert_success
	# lowest 3 dropped of class "coat"
	awk -F'\t' 'NR == FNR { if (FNR > 1) kept[$1]; next } FNR > 1 && $3 == "coat" && !($1 in kept)' \
		kept.tsv pool.tsv | sort -t "$(printf '\t')" -k4,4g | head -3 | cut -f1 >want
	awk '/<div class="cls" data-class="c:coat">/ { on = 1 } on && /<h4>dropped/ { k = 1 } k && /<div>lowest score/ { h = 1; next }
		h && /<\/div>/ { exit } h && /<figcaption>/ { sub(/.*<figcaption>/, ""); sub(/<br>.*/, ""); print }' r.html >got
	run diff want got
	assert_success
	# same inputs, same bytes; another seed, another random sample
	run -0 winnow-report -o r2.html -k kept.tsv --per-class 3 pool.tsv
	run cmp r.html r2.html
	assert_success
	run -0 winnow-report -o r3.html -k kept.tsv --per-class 3 --seed 9 pool.tsv
	run cmp -s r.html r3.html
	assert_failure
}

@test "a hostile id and label render as text; the page loads cleanly in chromium" {
	pool 60
	printf '%s\t%s\t%s\t0.99\tbag\n' '<script>window.pwned=1</script>' "$T10K#5" \
		'<img src=x onerror="window.pwned=2">' >>pool.tsv
	printf '%s\t%s\t%s\t0.99\tbag\t1\n' '<script>window.pwned=1</script>' "$T10K#5" \
		'<img src=x onerror="window.pwned=2">' >>kept.tsv
	run -0 winnow-report -o r.html -k kept.tsv pool.tsv
	run grep -c '<script>window.pwned' r.html
	assert_output 0
	run grep -c '&lt;script&gt;window.pwned=1&lt;/script&gt;' r.html
	refute_output 0
	run -0 browse r.html
	out=$output
	assert_equal "$(word_after errors "$out")" 0
	assert_equal "$(word_after broken "$out")" 0
	assert_equal "$(word_after pwned "$out")" undefined
	assert_equal "$(word_after npool "$out")" "$(($(wc -l <pool.tsv) - 1))"
	assert_equal "$(word_after nkept "$out")" "$(($(wc -l <kept.tsv) - 1))"
	assert [ "$(word_after imgs "$out")" -gt 0 ]
	# the class filter hides the other classes
	assert_equal "$(word_after filterbad "$out")" 0
	assert [ "$(word_after filtershown "$out")" -gt 0 ]
	# the hostile id is in the page's text, as text
	run sh -c "timeout 120 chromium --headless=new --no-sandbox --disable-gpu --dump-dom file://$PWD/r.html 2>/dev/null"
	assert_output --partial '&lt;script&gt;window.pwned=1&lt;/script&gt;'
	assert [ -s r.html.png ]
	echo "# screenshots: $SHOTS" >&3
}

@test "missing and corrupt images: placeholders and a warning, the page still loads" {
	pool 30
	head -c 100 /dev/urandom >corrupt.png
	printf 'P5\n4 4\n255\nxx' >short.pgm
	{
		printf 'gone\tno/such/file.png\tbag\t0.99\tbag\n'
		printf 'bad\tcorrupt.png\tbag\t0.98\tbag\n'
		printf 'short\tshort.pgm\tbag\t0.97\tbag\n'
		printf 'outofrange\t%s#99999\tbag\t0.96\tbag\n' "$T10K"
		printf 'nopath\t\tbag\t0.95\tbag\n'
	} >>pool.tsv
	run -0 --separate-stderr winnow-report -o r.html --per-class 5 pool.tsv
	[[ $stderr == *"no/such/file.png (id gone)"*"placeholder"* ]]
	[[ $stderr == *"corrupt.png (id bad)"* ]]
	[[ $stderr == *"short.pgm (id short)"* ]]
	[[ $stderr == *"#99999 (id outofrange)"* ]]
	for id in gone bad short outofrange; do
		run grep -c "title=\"id: $id&#10;[^\"]*\"><div class=\"ph\">image unreadable" r.html
		refute_output 0
	done
	run grep -c 'title="id: nopath&#10;[^"]*"><div class="ph">empty path' r.html
	refute_output 0
	# the other rows' images are there
	run grep -c 'title="id: p-[0-9]*&#10;[^"]*"><img src="data:image/png;base64,' r.html
	refute_output 0
	run grep -c 'title="id: p-[0-9]*&#10;[^"]*"><div class="ph">' r.html
	assert_output 0
	run -0 --separate-stderr winnow-report -q -o r.html pool.tsv
	assert_equal "$stderr" ""
	run -0 browse r.html
	assert_equal "$(word_after errors "$output")" 0
	assert_equal "$(word_after broken "$output")" 0
}

@test "a pool without a section's columns: the section is left out and the page says so" {
	make_manifest pool.tsv "id|extra" "a|1" "b|2" "c|3"
	run -0 winnow-report -o r.html pool.tsv
	run grep -c 'id="score"\|id="dups"\|id="issues"\|id="sweep"' r.html
	assert_output 0
	run grep -c 'The score section is left out\|Near-duplicate groups are left out\|Label issues are left out\|No <code>path</code> column' r.html
	assert_output 4
	run -0 browse r.html
	assert_equal "$(word_after errors "$output")" 0
	assert_equal "$(word_after npool "$output")" 3
}

@test "bad data exits 65 naming the file and line, and writes nothing" {
	pool 20
	# kept rows out of the pool's order
	{ head -1 kept.tsv; sed -n 3p kept.tsv; sed -n 2p kept.tsv; } >swapped.tsv
	run -65 --separate-stderr winnow-report -o r.html -k swapped.tsv pool.tsv
	[[ $stderr == "winnow-report: swapped.tsv:3: id \"p-0\" is not in pool.tsv, or not in its order"* ]]
	# an id the pool does not have
	{ cat kept.tsv; printf 'zz\tx\tbag\t0.5\tbag\t1\n'; } >extra.tsv
	run -65 --separate-stderr winnow-report -o r.html -k extra.tsv pool.tsv
	[[ $stderr == *"extra.tsv:$(wc -l <extra.tsv): id \"zz\" is not in pool.tsv"* ]]
	# a duplicate id in the pool
	{ cat pool.tsv; sed -n 2p pool.tsv; } >dup.tsv
	run -65 --separate-stderr winnow-report -o r.html dup.tsv
	[[ $stderr == *"dup.tsv:22:"*"p-0"* ]]
	# a score that is not a number; a NaN
	sed '5s/\t0\.[0-9]*\t/\tabc\t/' pool.tsv >bad.tsv
	run -65 --separate-stderr winnow-report -o r.html bad.tsv
	[[ $stderr == *"bad.tsv:5: score \"abc\" is not a number"* ]]
	sed '6s/\t0\.[0-9]*\t/\tnan\t/' pool.tsv >nan.tsv
	run -65 --separate-stderr winnow-report -o r.html nan.tsv
	[[ $stderr == *"nan.tsv:6:"* ]]
	# a weight that is not positive
	sed '2s/\t1$/\t0/' kept.tsv >w0.tsv
	run -65 --separate-stderr winnow-report -o r.html -k w0.tsv pool.tsv
	[[ $stderr == *"w0.tsv:2: weight 0 is not positive"* ]]
	# dup_rank that is not an integer; label_issue not 0/1
	make_manifest d.tsv "id|dup_group|dup_rank" "a|a|0" "b|a|x"
	run -65 --separate-stderr winnow-report -o r.html d.tsv
	[[ $stderr == *"d.tsv:3: dup_rank \"x\" is not a non-negative integer"* ]]
	make_manifest i.tsv "id|label_issue" "a|0" "b|yes"
	run -65 --separate-stderr winnow-report -o r.html i.tsv
	[[ $stderr == *"i.tsv:3: label_issue \"yes\" is not 0 or 1"* ]]
	make_manifest e.tsv "id"
	run -65 --separate-stderr winnow-report -o r.html e.tsv
	[[ $stderr == *"no rows"* ]]
	run -65 winnow-report -o r.html --by nosuch pool.tsv
	assert [ ! -e r.html ]
}

@test "an output that cannot be created exits 73 and leaves nothing behind" {
	pool 10
	run -73 winnow-report -o no/such/dir/r.html pool.tsv
	mkdir ro && chmod 555 ro
	if [ "$(id -u)" -ne 0 ]; then
		run -73 winnow-report -o ro/r.html pool.tsv
	fi
	run ls -A ro
	assert_output ""
}

@test "the page budget bounds the thumbnails" {
	pool 400
	run -0 winnow-report -o big.html -k kept.tsv --per-class 10 pool.tsv
	run -0 winnow-report -o small.html -k kept.tsv --per-class 10 --budget 20000 pool.tsv
	run grep -c 'over the page budget' small.html
	refute_output 0
	run grep -c 'reached the page budget' small.html
	assert_output 1
	# the thumbnails' bytes stay within the budget plus one thumbnail
	b=$(grep -o 'data:image/png;base64,[A-Za-z0-9+/=]*' small.html | wc -c)
	assert [ "$b" -le 22000 ]
	assert [ "$(wc -c <small.html)" -lt "$(wc -c <big.html)" ]
	run -0 winnow-report -o none.html -k kept.tsv --budget 0 pool.tsv
	run grep -c 'data:image/png' none.html
	assert_output 0
	run -0 browse small.html
	assert_equal "$(word_after errors "$output")" 0
	assert_equal "$(word_after broken "$output")" 0
}

@test "pi(s): c from the kept weights (--reweight) equals c resolved by the library for -f" {
	pool 500
	winnow-select -f 0.3 -s biased --alpha 1.5 --reweight --seed 3 pool.tsv >sel.tsv
	run -0 winnow-report -o w.html -k sel.tsv --alpha 1.5 pool.tsv
	cw=$(sed -n 's/.*c = \([0-9.e+-]*\) recovered from the kept.*/\1/p' w.html)
	run -0 winnow-report -o f.html -k sel.tsv --alpha 1.5 -f 0.3 pool.tsv
	cf=$(sed -n 's/.*c = \([0-9.e+-]*\) resolved from the pool.*/\1/p' f.html)
	refute [ -z "$cw" ]
	assert_equal "$cw" "$cf"
	# and both equal c by bisection on sum min(1, c s^1.5) = 150 (Python)
	want=$("$PYTHON" -c '
import sys
s = [float(l.split("\t")[3]) ** 1.5 for l in open("pool.tsv").read().splitlines()[1:]]
lo, hi = 0.0, 1e6
for _ in range(200):
    c = (lo + hi) / 2
    if sum(min(1, c * v) for v in s) > 150: hi = c
    else: lo = c
print("%.6g" % c)')
	assert_equal "$cf" "$want"
	# weights of several draws do not give one c: not drawn, and said so
	awk -F'\t' -v OFS='\t' 'NR > 1 && NR % 2 { $6 = $6 * 1.5 } 1' sel.tsv >mixed.tsv
	run -0 winnow-report -o m.html -k mixed.tsv --alpha 1.5 pool.tsv
	run grep -c 'pi(s) is not drawn: the weights' m.html
	assert_output 1
	run -0 browse f.html
	assert_equal "$(word_after errors "$output")" 0
}

@test "near-duplicate groups: the largest first, sizes counted, the kept member marked" {
	pool 40
	# groups: p-1 with 3 duplicates, p-2 with 1, every other row alone
	awk -F'\t' -v OFS='\t' 'NR == 1 { print $0, "dup_group", "dup_rank", "nn_sim"; next }
		{ g = $1; r = 0 }
		$1 == "p-5" || $1 == "p-9" || $1 == "p-30" { g = "p-1"; r = ++n1 }
		$1 == "p-7" { g = "p-2"; r = 1 }
		{ print $0, g, r, (r ? "0.98" : "") }' pool.tsv >dd.tsv
	run -0 winnow-report -o r.html --groups 5 dd.tsv
	run grep -o '<b id="n-dup-rows">[0-9]*</b>[^.]*' r.html
	assert_output '<b id="n-dup-rows">4</b> rows are near-duplicates of another (dup_rank &gt; 0) in 2 groups'
	run grep -o '<h3>group [^<]* <small>[0-9]* rows' r.html
	assert_output "$(printf '<h3>group p-1 <small>4 rows\n<h3>group p-2 <small>2 rows')"
	# the first member shown of group p-1 is p-1 itself, marked
	run sh -c "awk '/<h3>group p-1/ { on = 1; next } on && /<figure/ { print; exit }' r.html"
	assert_output --partial 'class=" mark" title="id: p-1'
	run -0 browse r.html
	assert_equal "$(word_after errors "$output")" 0
	assert_equal "$(word_after broken "$output")" 0
}

@test "label issues: the count, the lowest label quality first" {
	pool 40
	awk -F'\t' -v OFS='\t' 'NR == 1 { print $0, "label_quality", "label_issue", "suggested_label"; next }
		{ q = ((NR * 37) % 100) / 100; print $0, q, (q < 0.3 ? 1 : 0), (q < 0.3 ? "bag" : "") }' \
		pool.tsv >aud.tsv
	n=$(awk -F'\t' 'NR > 1 && $7 == 1' aud.tsv | wc -l)
	run -0 winnow-report -o r.html --issues 5 aud.tsv
	run grep -o '<b id="n-issues">[0-9]*' r.html
	assert_output "<b id=\"n-issues\">$n"
	awk -F'\t' 'NR > 1 && $7 == 1' aud.tsv | sort -t "$(printf '\t')" -k6,6g -k1,1 | head -5 |
		cut -f6 >want
	sed -n '/id="issues"/,/<\/section>/s/.*<td class="quality">\([0-9.]*\)<\/td>.*/\1/p' r.html >got
	run diff want got
	assert_success
	run -0 browse r.html
	assert_equal "$(word_after errors "$output")" 0
}

@test "a sweep's results: the mean accuracy per scheme and fraction, and a table" {
	pool 20
	make_manifest results.tsv "scheme|fraction|seed|samples|test_accuracy|train_seconds" \
		"full|1|1|60000|0.87|2" "random|0.1|1|6000|0.80|0.3" "random|0.1|2|6000|0.82|0.3" \
		"biased|0.1|1|6000|0.84|0.3" "biased|0.3|1|18000|0.86|0.7" "<b>x</b>|0.3|1|1|0.5|1"
	make_manifest demo.tsv "training set|samples|test_accuracy" "full data|60000|0.8671" \
		"winnow 30%|17993|0.8663"
	run -0 winnow-report -o r.html --sweep results.tsv --table demo.tsv pool.tsv
	run grep -o '<tr><td class="t">random</td><td>0.1</td><td>2</td><td>6000</td><td>0.8100</td>' r.html
	assert_success
	run grep -c '&lt;b&gt;x&lt;/b&gt;' r.html
	assert_output 2
	run grep -c '<td class="t">winnow 30%</td><td class="t">17993</td>' r.html
	assert_output 1
	make_manifest bad.tsv "scheme|fraction|test_accuracy" "a|2|0.5"
	run -65 --separate-stderr winnow-report -o r2.html --sweep bad.tsv pool.tsv
	[[ $stderr == *"bad.tsv:2: fraction 2 is not in (0, 1]"* ]]
	make_manifest bad2.tsv "scheme|test_accuracy" "a|0.5"
	run -65 winnow-report -o r2.html --sweep bad2.tsv pool.tsv
	run -0 browse r.html
	assert_equal "$(word_after errors "$output")" 0
}

@test "option defaults from the report section of a config; unknown keys exit 78" {
	pool 100
	printf 'report:\n  per-class: 1\n  budget: 0\n  title: "from <config>"\n' >c.yaml
	run -0 winnow-report -c c.yaml -o r.html -k kept.tsv pool.tsv
	run grep -c 'over the page budget' r.html
	refute_output 0
	run grep -c '<title>from &lt;config&gt;</title>' r.html
	assert_output 1
	# one thumbnail per class, side and kind: 4 classes x 2 sides x 3 kinds
	run grep -c '^<figure' r.html
	assert_output 24
	# the command line wins
	run -0 winnow-report -c c.yaml --per-class 2 -o r.html -k kept.tsv pool.tsv
	run grep -c '^<figure' r.html
	assert_output 48
	printf 'report:\n  per-class: 1\n  colour: red\n' >bad.yaml
	run -78 --separate-stderr winnow-report -c bad.yaml -o r.html pool.tsv
	[[ $stderr == *"bad.yaml:3:"* ]]
}

@test "near-duplicate rows are counted with --groups 0, no group shown" {
	make_manifest d.tsv "id|dup_group|dup_rank" "a|a|0" "b|a|1" "c|a|2" "d|d|0"
	run -0 winnow-report --groups 0 -o r.html d.tsv
	run grep -o '<b id="n-dup-rows">[0-9]*</b>[^.]*' r.html
	assert_output '<b id="n-dup-rows">2</b> rows are near-duplicates of another (dup_rank &gt; 0) in 1 groups'
	run grep -c '<h3>group ' r.html
	assert_output 0
}

@test "the EXAMPLES of winnow-report(1) run" {
	ln -s "$WINNOW_TOP/data" data
	awk '/^\.Sh / { on = ($2 == "EXAMPLES"); next } !on { next }
		/^\$ / { sub(/^\$ /, ""); cmd = $0
			while (cmd ~ /(\\e|\|)$/ && (getline line) > 0) cmd = cmd "\n" line
			print cmd }' "$WINNOW_TOP/man/man1/winnow-report.1" | sed 's/\\e/\\/g; s/\\-/-/g' >ex.sh
	[ -s ex.sh ]
	run -0 sh -e ex.sh
	assert [ -s report.html ]
	assert [ -s small.html ]
	run -0 browse report.html
	assert_equal "$(word_after errors "$output")" 0
	assert_equal "$(word_after broken "$output")" 0
}
