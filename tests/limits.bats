#!/usr/bin/env bats
# Limits: 0-row and 1-row manifests, a single class, a million rows through
# winnow-select (ten million: tests/bench/select-10m.sh), very wide and
# very large images, duplicate ids, unicode ids.  Each gets correct output
# or a clear error.
bats_require_minimum_version 1.5.0
load test_helper

# plain_build: the programs are the normal build's (tests/run.sh gives
# WINNOW_BIN as TOP/./bin), not build-asan's
plain_build() {
	[ "$(cd "$WINNOW_BIN" && pwd -P)" = "$(cd "$WINNOW_TOP/bin" && pwd -P)" ]
}

E=$WINNOW_TOP/tests/fixtures/embed

@test "0-row manifests: select writes the header; -n budgets are refused; embed writes 0 x D" {
	printf 'id\trow\tlabel\tscore\n' >z.tsv
	for s in "random -f 0.5" "top -f 0.1" "stratified -f 0.5 --by label" "ccs -f 0.5" \
	         "biased -f 0.5" "threshold --min 0"; do
		run --separate-stderr -0 winnow-select -s $s z.tsv
		[ "${#lines[@]}" -eq 1 ] && [[ ${lines[0]} == "id	row	label	score"* ]] || { echo "$s: $output"; return 1; }
	done
	run --separate-stderr -65 winnow-select -s random -n 1 z.tsv
	assert_equal "$stderr" "winnow-select: budget of 1 row is larger than the 0 rows"  # regression: "1 rows"
	run -0 winnow-manifest split -f 0.5 -o a.tsv -r b.tsv z.tsv
	cmp a.tsv z.tsv
	cmp b.tsv z.tsv
	printf 'id\tpath\n' >ez.tsv
	run --separate-stderr -0 winnow-embed -s 4x4 -o e.npy ez.tsv
	assert_output "id	path	row"
	run -0 "$PYTHON" -c "import numpy as np; print(np.load('e.npy').shape)"
	assert_output "(0, 16)"
	run --separate-stderr -65 winnow-embed learn -k 2 -o d.dict ez.tsv
	assert_equal "$stderr" "winnow-embed: ez.tsv: no images to learn from"
	npy_from_python z.npy "np.zeros((0, 3), '<f4')"
	run --separate-stderr -65 winnow-train -o m.model z.npy z.tsv
	assert_equal "$stderr" "winnow-train: z.tsv: no labeled rows: no rows at all"
	[ ! -e m.model ]
}

@test "1-row manifests: every scheme keeps or drops the one row cleanly" {
	printf 'id\trow\tlabel\tscore\na\t0\tx\t0.5\n' >one.tsv
	for s in "random -n 1" "top -n 1" "bottom -f 1" "stratified -n 1 --by label" \
	         "ccs -f 1" "biased -f 1" "threshold --min 0"; do
		run --separate-stderr -0 winnow-select -s $s one.tsv
		assert_equal "${#lines[@]}" 2
		[[ ${lines[1]} == "a	0	x	0.5	"* ]]
	done
	printf 'id\tpath\na\t%s\n' "$E/gray.png" >e1.tsv
	run -0 winnow-embed -s 4x4 -o e.npy e1.tsv
	run -0 winnow-embed learn -k 1 --patch 2 -s 4x4 -o d.dict e1.tsv
	npy_from_python one.npy "np.ones((1, 3), '<f4')"
	# (detect_leaks=0: winnow-train leaks its class list on this error
	# under check-asan; reported, tests/regress.bats)
	run --separate-stderr -65 env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		winnow-train -o m.model one.npy one.tsv
	assert_equal "$stderr" "winnow-train: one.tsv: every labeled row has the label \"x\": a classifier needs at least 2 classes"
}

@test "a single class: stratified keeps its share; train refuses with the class named" {
	{ printf 'id\trow\tlabel\tscore\n'; for i in $(seq 0 99); do printf 'i%d\t%d\tcat\t0.%02d\n' $i $i $i; done; } >m.tsv
	run -0 winnow-select -s stratified --by label -f 0.25 m.tsv
	assert_equal "${#lines[@]}" 26
	run -0 winnow-select -s stratified --balanced --by label -n 10 m.tsv
	assert_equal "${#lines[@]}" 11
	npy_from_python m.npy "np.random.default_rng(0).normal(size=(100, 3)).astype('<f4')"
	for m in softmax mlp; do
		run --separate-stderr -65 winnow-train -m $m -o m.model m.npy m.tsv
		assert_equal "$stderr" "winnow-train: m.tsv: every labeled row has the label \"cat\": a classifier needs at least 2 classes"
	done
}

@test "a million rows through winnow-select, generated on the fly, in bounded memory" {
	gen() {
		awk 'BEGIN { srand(1); print "id\tlabel\tscore"
			for (i = 0; i < 1000000; i++) printf "r%d\t%d\t%.6f\n", i, i % 10, rand() + 0.001 }'
	}
	gen | winnow-select -s biased --alpha 1 -f 0.1 --reweight --seed 2 >b.tsv
	n=$(($(wc -l <b.tsv) - 1))
	# Poisson sampling: expected 100,000 kept, sd about 300
	[ "$n" -gt 98500 ] && [ "$n" -lt 101500 ] || { echo "kept $n"; return 1; }
	gen | winnow-select -s stratified --by label -n 50000 >s.tsv
	assert_equal "$(tail -n +2 s.tsv | cut -f2 | sort | uniq -c | awk '{print $1}' | sort -u)" "5000"
	[ "$(tail -n +2 s.tsv | cut -f1 | sort -u | wc -l)" -eq 50000 ]
	if plain_build && [ -x /usr/bin/time ]; then
		# top-k keeps k keys, not the million rows: well under 200 MB
		kb=$(gen | /usr/bin/time -f %M winnow-select -s top -n 1000 2>&1 >/dev/null | tail -1)
		echo "peak RSS $kb KB"
		[ "$kb" -lt 200000 ]
	fi
}

# png W H FILE [ROWS]: a gray PNG of W x H; ROWS rows of data are written
# (default H), so a huge image can have a short file (truncated IDAT).
png() {
	"$PYTHON" - "$@" <<'PY'
import struct, sys, zlib
w, h, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rows = int(sys.argv[4]) if len(sys.argv) > 4 else h
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
# left half black, right half white
row = b"\0" + b"\0" * (w // 2) + b"\xff" * (w - w // 2)
z = zlib.compressobj()
data = b"".join(z.compress(row) for _ in range(rows)) + z.flush()
with open(path, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)))
    f.write(chunk(b"IDAT", data) + chunk(b"IEND", b""))
PY
}

@test "a 50,000-pixel-wide PNG is decoded and resized correctly" {
	png 50000 3 wide.png
	printf 'id\tpath\nw\twide.png\n' >m.tsv
	run -0 winnow-embed -s 2x1 -o e.npy m.tsv
	run -0 "$PYTHON" -c "import numpy as np; a = np.load('e.npy'); print(a.shape, a.tolist())"
	assert_output "(1, 2) [[0.0, 1.0]]"
}

@test "a 50,000 x 50,000 PNG is refused before its pixels are allocated" {
	png 50000 50000 huge.png 2
	printf 'id\tpath\nh\thuge.png\n' >m.tsv
	run --separate-stderr -65 winnow-embed -s 4x4 -o e.npy m.tsv
	assert_equal "$stderr" "winnow-embed: m.tsv:2: huge.png: 50000x50000 image is more than the limit of 67108864 pixels"
	[ ! -e e.npy ]
	# raising the limit: then it is the truncated data that is refused
	run --separate-stderr -65 winnow-embed --max-pixels 3000000000 -s 4x4 -o e.npy m.tsv
	assert_equal "$stderr" "winnow-embed: m.tsv:2: huge.png: bad PNG: Not enough image data"
	[ ! -e e.npy ]
}

@test "duplicate ids are refused by every program that reads a manifest, with the line" {
	printf 'id\trow\tlabel\tscore\tpath\na\t0\tx\t0.1\tp.png\nb\t1\ty\t0.2\tp.png\na\t2\tx\t0.3\tp.png\n' >d.tsv
	npy_from_python d.npy "np.ones((3, 3), '<f4')"
	for cmd in "winnow-select -s random -n 1" "winnow-select plan -s random -n 1" \
	           "winnow-manifest split -f 0.5" "winnow-embed -o e.npy" "winnow-train -o m.model d.npy"; do
		run --separate-stderr $cmd d.tsv
		[ "$status" -eq 65 ] || { echo "$cmd: status $status"; return 1; }
		[[ $stderr == *"d.tsv:4: duplicate id \"a\""* ]] || { echo "$cmd: $stderr"; return 1; }
	done
}

@test "unicode ids pass through every stage unchanged" {
	printf 'id\tpath\tlabel\tscore\n' >m.tsv
	i=0
	for id in "日本語" "Ünïcødé" "😀-emoji" "ασδ" "עברית" "a b c" "x\\y" "'q\"" "e\xcc\x81"; do
		printf "%s\t%s\t%s\t0.%d1\n" "$id" "$E/gray.png" "$([ $((i % 2)) = 0 ] && echo cat || echo dög)" $i >>m.tsv
		i=$((i + 1))
	done
	cut -f1 m.tsv >ids.in
	winnow-embed -s 4x4 -o e.npy m.tsv >e.tsv
	cmp <(cut -f1 e.tsv) ids.in
	winnow-select -s random -f 1 e.tsv >s.tsv
	cmp <(cut -f1 s.tsv) ids.in
	winnow-manifest split -f 0.5 -r rest.tsv e.tsv >first.tsv
	cmp <({ cut -f1 first.tsv; tail -n +2 rest.tsv | cut -f1; } | sort) <(sort ids.in)
	winnow-manifest to-jsonl e.tsv | winnow-manifest from-jsonl >back.tsv
	cmp <(cut -f1 back.tsv) ids.in
	run -0 winnow-train -o m.model e.npy e.tsv
	grep -q '"dög"' m.model
	# invalid UTF-8 in an id is refused with the line
	printf 'id\tscore\nok\t1\nbad\xff\t2\n' >bad.tsv
	run --separate-stderr -65 winnow-select -s random -n 1 bad.tsv
	[[ $stderr == *"bad.tsv:3: invalid UTF-8"* ]]
}
