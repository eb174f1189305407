#!/usr/bin/env bats
# winnow-embed: decoders, methods, determinism, --resume, --on-error, usage.
bats_require_minimum_version 1.5.0
load test_helper

E=$WINNOW_TOP/tests/fixtures/embed

# manifest FILE NAME...: a manifest of fixture images
manifest() {
	local f=$1; shift
	{ printf 'id\tpath\tlabel\n'; for n; do printf '%s\t%s\tx\n' "$n" "$E/$n"; done; } >"$f"
}

shape() {
	"$PYTHON" -c "import numpy as np; a = np.load('$1'); print(a.dtype, *a.shape)"
}

good="gray.png rgb.png rgba.png palette.png gray.jpg rgb.jpg gray.pgm rgb.ppm max15.pgm cifar.bin#0 cifar.bin#2 tiny-idx3-ubyte.gz#0 tiny-idx3-ubyte.gz#2"

@test "every decoder reads its real files; np.load reads the output" {
	manifest m.tsv $good
	run -0 winnow-embed -s 4x4 -o e.npy m.tsv
	assert_line --index 0 "$(printf 'id\tpath\tlabel\trow')"
	assert_line --index 13 "$(printf 'tiny-idx3-ubyte.gz#2\t%s\tx\t12' "$E/tiny-idx3-ubyte.gz#2")"
	run -0 shape e.npy
	assert_output "float32 13 16"
}

@test "decoded values: PGM = PNG; maxval 15 rescaled; CIFAR planes; IDX item" {
	manifest m.tsv gray.png gray.pgm max15.pgm "cifar.bin#1" "tiny-idx3-ubyte.gz#1"
	run -0 winnow-embed -s 28x28 -o e.npy m.tsv
	run -0 "$PYTHON" -c "
import numpy as np
a = np.load('e.npy')
g = (np.arange(784) * 7 % 256) / 255
assert np.allclose(a[0], g, atol=1e-6) and np.allclose(a[1], g, atol=1e-6)
assert np.allclose(a[2][:14], 0) and np.allclose(a[2][14:28], 1)   # 2x1 upscaled
r, gg, b = 40, 120, 200
assert np.allclose(a[3], (0.299*r + 0.587*gg + 0.114*b) / 255, atol=1e-5)
print('ok')"
	assert_output ok
	# IDX item 1 at its own size, 5x4
	manifest m2.tsv "tiny-idx3-ubyte.gz#1"
	run -0 winnow-embed -s 5x4 -o i.npy m2.tsv
	run -0 "$PYTHON" -c "
import numpy as np
a = np.load('i.npy')
assert np.allclose(a[0] * 255, (np.arange(20, 40) * 4) % 256, atol=1e-3)
print('ok')"
	assert_output ok
}

@test "--channels 3 keeps RGB, replicates gray" {
	manifest m.tsv rgb.ppm gray.pgm
	run -0 winnow-embed -s 20x15 --channels 3 -o e.npy m.tsv
	run -0 "$PYTHON" -c "
import numpy as np
a = np.load('e.npy')
d = open('$E/rgb.ppm', 'rb').read()[-900:]
assert a.shape == (2, 900)
assert np.allclose(a[0] * 255, np.frombuffer(d, np.uint8), atol=1e-3)
g = a[1].reshape(-1, 3)
assert np.allclose(g[:, 0], g[:, 1]) and np.allclose(g[:, 1], g[:, 2])
print('ok')"
	assert_output ok
}

# bad images: name, expected message part
bad_case() {
	manifest m.tsv gray.png "$1"
	run --separate-stderr -65 winnow-embed -s 4x4 -o e.npy m.tsv
	[[ "$stderr" == *"m.tsv:3: $E/$1: "*"$2"* ]] || { echo "stderr: $stderr"; return 1; }
	[ ! -e e.npy ]
	[ -z "$(ls -A | grep 'e\.npy')" ]
}

@test "corrupt and truncated files: exit 65 naming path and reason, no output" {
	bad_case truncated.png "bad PNG"
	bad_case corrupt.png "bad PNG"
	bad_case truncated.jpg "bad JPEG: Premature end"
	bad_case truncated.pgm "truncated P5 data"
	bad_case badheader.pgm "bad P5 header"
	bad_case deep.pgm "only 8-bit"
	bad_case notanimage.txt "not a PNG, JPEG"
	bad_case empty.png "empty file"
	bad_case missing.png "No such file"
	bad_case "cifar.bin#3" "index 3 out of range"
	bad_case "tiny-idx3-ubyte.gz#3" "index 3 out of range"
}

# bad_made FILE MESSAGE: like bad_case, for a broken file made in the test
bad_made() {
	printf 'id\tpath\tlabel\nok\t%s\tx\nbad\t%s\tx\n' "$E/gray.png" "$PWD/$1" >m.tsv
	run --separate-stderr -65 winnow-embed -s 4x4 -o e.npy m.tsv
	[[ "$stderr" == *"m.tsv:3: $PWD/"*"$2"* ]] || { echo "$1: stderr: $stderr"; return 1; }
	[ -z "$(ls -A | grep 'e\.npy')" ]
}

@test "corrupt and truncated PPM, JPEG data, IDX and CIFAR containers: 65, no output" {
	head -c 500 "$E/rgb.ppm" >t.ppm
	bad_made t.ppm "t.ppm: truncated P6 data (20x15 needs 900 bytes)"
	# flipped bits in the entropy-coded data: libjpeg would paint gray
	"$PYTHON" -c "
d = bytearray(open('$E/gray.jpg', 'rb').read())
i = d.find(b'\xff\xda') + 60
d[i:i + 10] = bytes(b ^ 0x55 for b in d[i:i + 10])
open('c.jpg', 'wb').write(d)"
	bad_made c.jpg "c.jpg: bad JPEG: Corrupt JPEG data"
	head -c 60 "$E/tiny-idx3-ubyte.gz" >t-idx3-ubyte.gz
	bad_made "t-idx3-ubyte.gz#0" "t-idx3-ubyte.gz: truncated gzip data"
	gzip -dc "$E/tiny-idx3-ubyte.gz" | head -c 50 >t-idx3-ubyte
	bad_made "t-idx3-ubyte#0" "t-idx3-ubyte: truncated IDX file"
	{ gzip -dc "$E/tiny-idx3-ubyte.gz"; printf 'x'; } >long-idx3-ubyte
	bad_made "long-idx3-ubyte#0" "long-idx3-ubyte: bytes after the data"
	head -c 9000 "$E/cifar.bin" >t.bin
	bad_made "t.bin#0" "t.bin: neither an IDX file nor a CIFAR-10 batch (size 9000 is not a multiple of 3073)"
	bad_made "nothere.bin#0" "nothere.bin: No such file"
	# a real IDX file that holds labels, not images
	manifest m.tsv gray.png
	printf 'lab\t%s\tx\n' "$FMNIST/train-labels-idx1-ubyte.gz#0" >>m.tsv
	run --separate-stderr -65 winnow-embed -o e.npy m.tsv
	[[ "$stderr" == *"m.tsv:3: $FMNIST/train-labels-idx1-ubyte.gz: IDX file has 1 dimensions, images need 3"* ]]
}

@test "--on-error skip over many rows of one broken container" {
	head -c 60 "$E/tiny-idx3-ubyte.gz" >t-idx3-ubyte.gz
	{ printf 'id\tpath\n'; for i in $(seq 0 199); do printf 'r%d\t%s#%d\n' $i "$PWD/t-idx3-ubyte.gz" $((i % 3)); done
	  printf 'good\t%s\n' "$E/gray.png"; } >m.tsv
	run --separate-stderr -0 winnow-embed --on-error skip -j 2 --batch 16 -s 4x4 -o e.npy m.tsv
	[[ "$stderr" == *"skipped 200 of 201 images"* ]]
	[ "$(printf '%s\n' "$stderr" | grep -c 'truncated gzip data (skipped)')" -eq 200 ]
	assert_equal "$(printf '%s\n' "$output" | cut -f1,3 | tr '\t\n' ' ,')" "id row,good 0,"
}

@test "decode bombs are refused before allocating" {
	bad_case bomb.png "100000x100000 image is more than the limit"
	manifest m.tsv gray.png
	run --separate-stderr -65 winnow-embed --max-pixels 700 -o e.npy m.tsv
	[[ "$stderr" == *"28x28 image is more than the limit of 700 pixels"* ]]
	# a JPEG whose frame header claims 60000x60000, a PGM header
	# claiming 20000x20000: refused from the header
	"$PYTHON" -c "
d = bytearray(open('$E/gray.jpg', 'rb').read())
i = d.find(b'\xff\xc0')
d[i + 5:i + 9] = bytes([0xea, 0x60, 0xea, 0x60])
open('bomb.jpg', 'wb').write(d)"
	bad_made bomb.jpg "bomb.jpg: 60000x60000 image is more than the limit of 67108864 pixels"
	printf 'P5\n20000 20000\n255\nabc' >bomb.pgm
	bad_made bomb.pgm "bomb.pgm: 20000x20000 image is more than the limit of 67108864 pixels"
	# container items: the same limit
	manifest m.tsv "tiny-idx3-ubyte.gz#0"
	run --separate-stderr -65 winnow-embed --max-pixels 19 -o e.npy m.tsv
	[[ "$stderr" == *"tiny-idx3-ubyte.gz#0: 5x4 image is more than the limit of 19 pixels"* ]]
	run -0 winnow-embed --max-pixels 20 -o e.npy m.tsv
	manifest m.tsv "cifar.bin#0"
	run --separate-stderr -65 winnow-embed --max-pixels 1000 -o e.npy m.tsv
	[[ "$stderr" == *"cifar.bin#0: 32x32 image is more than the limit of 1000 pixels"* ]]
	# a file larger than any image within the limit could be: not read
	head -c 100000 /dev/zero >big.pgm
	manifest m.tsv gray.png
	printf 'big\t%s\tx\n' "$PWD/big.pgm" >>m.tsv
	run --separate-stderr -65 winnow-embed --max-pixels 784 -o e.npy m.tsv
	[[ "$stderr" == *"m.tsv:3: $PWD/big.pgm: 100000 bytes is more than an image of at most 784 pixels needs"* ]]
}

@test "--on-error skip: warns, leaves the row out, counts at the end" {
	manifest m.tsv gray.png truncated.png rgb.png missing.png
	run --separate-stderr -0 winnow-embed --on-error skip -s 4x4 -o e.npy m.tsv
	assert_equal "$(printf '%s\n' "$output" | cut -f1,4 | tr '\t' ' ' | tr '\n' ,)" \
		"id row,gray.png 0,rgb.png 1,"
	[[ "$stderr" == *"m.tsv:3: $E/truncated.png: bad PNG"*"(skipped)"* ]]
	[[ "$stderr" == *"m.tsv:5: $E/missing.png: No such file"* ]]
	[[ "$stderr" == *"skipped 2 of 4 images"* ]]
	run -0 shape e.npy
	assert_output "float32 2 16"
}

fmnist() {
	winnow-manifest idx "$FMNIST/train-images-idx3-ubyte.gz" \
		"$FMNIST/train-labels-idx1-ubyte.gz" | head -n $(($1 + 1)) >fm.tsv
}

@test "each method's output shape; learn writes a readable dictionary" {
	fmnist 300
	run -0 winnow-embed -m pixels -o p.npy fm.tsv
	run -0 shape p.npy; assert_output "float32 300 784"
	run -0 winnow-embed -m random -d 100 -o r.npy fm.tsv
	run -0 shape r.npy; assert_output "float32 300 100"
	run -0 winnow-embed learn -k 20 --patches 5000 -o d.dict fm.tsv
	run -0 head -n 6 d.dict
	assert_line --index 0 "winnow-kmeans-dict 1"
	assert_line "k: 20"
	run -0 winnow-embed -m kmeans --dict d.dict -o k.npy fm.tsv
	run -0 shape k.npy; assert_output "float32 300 80"
	run -0 winnow-embed -m kmeans --dict d.dict -s 16x16 -o k2.npy fm.tsv
	run -0 shape k2.npy; assert_output "float32 300 80"
	"$PYTHON" -c "import numpy as np; a = np.load('r.npy'); assert (a >= 0).all() and (a > 0).mean() > 0.3"
}

@test "learn with fewer patches than images decodes only that many, and the order does not matter" {
	fmnist 300
	run --separate-stderr -0 winnow-embed learn -v -k 8 --patches 120 -j 2 -o d.dict fm.tsv
	[[ "$stderr" == *"8 centroids from 120 patches of 120 images"* ]] || { echo "stderr: $stderr"; return 1; }
	{ head -n 1 fm.tsv; tail -n +2 fm.tsv | tac; } >rev.tsv
	winnow-embed learn -k 8 --patches 120 -j 2 -o rev.dict rev.tsv
	cmp d.dict rev.dict
}

@test "--stats: the random projection's and the kmeans GEMM's flops; nothing for pixels" {
	fmnist 300
	# 2 x 300 images x 100 outputs x 784 inputs
	winnow-embed -m random -d 100 --stats -o r.npy fm.tsv >/dev/null 2>r.err
	grep -qF 'winnow-embed: stats: random projection GEMM 0.04704 GFLOP in ' r.err
	winnow-embed learn -k 20 --patches 5000 -o d.dict fm.tsv
	# 2 x 300 images x 529 patches x 20 centroids x 36
	winnow-embed -m kmeans --dict d.dict --stats -o k.npy fm.tsv >/dev/null 2>k.err
	grep -qF 'winnow-embed: stats: kmeans distance GEMM 0.2285 GFLOP in ' k.err
	winnow-embed -m pixels --stats -o p.npy fm.tsv >/dev/null 2>p.err
	[ ! -s p.err ]
}

@test "same bytes whatever -j (and learn too)" {
	fmnist 250
	winnow-embed learn -k 16 --patches 3000 -j 1 -o d1.dict fm.tsv
	winnow-embed learn -k 16 --patches 3000 -j 2 -o d2.dict fm.tsv
	cmp d1.dict d2.dict
	for m in pixels random kmeans; do
		a=(-m $m); [ $m = kmeans ] && a+=(--dict d1.dict)
		winnow-embed "${a[@]}" --batch 32 -j 1 -o $m.1.npy fm.tsv >$m.1.tsv
		winnow-embed "${a[@]}" --batch 32 -j 3 -o $m.3.npy fm.tsv >$m.3.tsv
		cmp $m.1.npy $m.3.npy
		cmp $m.1.tsv $m.3.tsv
	done
}

@test "broken images among good ones, skipped: the good rows' bytes (random's to the last bits), whatever -j" {
	fmnist 250
	winnow-embed learn -k 16 --patches 3000 -j 1 -o d.dict fm.tsv
	printf 'not an image' >bad.png
	# every seventh row broken, so that the failures fall in every
	# thread's share of a round and in the middle of batches
	awk -v bad="$PWD/bad.png" -F '\t' 'BEGIN { OFS = "\t" }
		NR > 1 && NR % 7 == 0 { print "bad" NR, bad, $3 } { print }' fm.tsv >mixed.tsv
	for m in pixels random kmeans; do
		a=(-m $m); [ $m = kmeans ] && a+=(--dict d.dict)
		winnow-embed "${a[@]}" --batch 32 -j 1 -o $m.good.npy fm.tsv >/dev/null
		for j in 1 3; do
			winnow-embed "${a[@]}" --on-error skip --batch 32 -j $j -o $m.$j.npy mixed.tsv \
				>$m.$j.tsv 2>/dev/null
		done
		cmp $m.1.tsv $m.3.tsv
		cmp $m.1.npy $m.3.npy
		# random's one matrix product a batch: a row can come out different
		# in the last bits with its place in the batch (embed.h), which the
		# broken rows move (seen with OpenBLAS's Zen kernels, not Intel's)
		if [ $m = random ]; then
			"$PYTHON" -c "import numpy as np, sys; a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape, (a.shape, b.shape)
assert np.allclose(a, b, rtol=1e-5, atol=1e-5), np.abs(a - b).max()" $m.good.npy $m.1.npy
		else
			cmp $m.good.npy $m.1.npy
		fi
	done
}

@test "a broken image in an early round of many: 65 while the next round decodes, no output" {
	# the main thread writes round 2 (where the broken image is) while
	# the threads decode round 3, and dies there: they must finish first
	# (prog_at_die), which the sanitizer build checks
	fmnist 200
	printf 'not an image' >bad.png
	awk -v bad="$PWD/bad.png" -F '\t' 'BEGIN { OFS = "\t" }
		NR == 8 { print "bad", bad, $3; next } { print }' fm.tsv >early.tsv
	for j in 1 2 3; do
		run --separate-stderr -65 winnow-embed -m random -d 32 --batch 2 -j $j -o e.npy early.tsv
		[[ "$stderr" == *"early.tsv:8: $PWD/bad.png: not a PNG"* ]]
		[ -z "$(ls -A | grep 'e\.npy')" ]
	done
}

@test "--resume: an interrupted run continues and ends byte-identical" {
	fmnist 300
	winnow-embed learn -k 16 --patches 3000 -o d.dict fm.tsv
	winnow-embed -m kmeans --dict d.dict --batch 32 -o full.npy fm.tsv >full.tsv
	# crash (SIGKILL) after 2 rounds of 2 batches
	run env WINNOW_EMBED_CRASH_AFTER=2 winnow-embed -m kmeans --dict d.dict \
		--batch 32 -j 2 --resume -o e.npy fm.tsv
	[ "$status" -eq 137 ]
	[ ! -e e.npy ]
	[ -e e.npy.part ]
	[ -e e.npy.resume ]
	grep -q '^done 128 128 ' e.npy.resume
	# a resumed run with other options is refused
	run --separate-stderr -65 winnow-embed -m kmeans --dict d.dict --batch 16 --resume -o e.npy fm.tsv
	[[ "$stderr" == *"e.npy.resume: the interrupted run used other options"* ]]
	run -0 winnow-embed -m kmeans --dict d.dict --batch 32 -j 1 --resume -o e.npy fm.tsv
	[ "$output" = "$(cat full.tsv)" ]
	cmp e.npy full.npy
	[ ! -e e.npy.part ]
	[ ! -e e.npy.resume ]
}

@test "--resume with skipped rows and a changed manifest" {
	manifest m.tsv gray.png missing.png rgb.png truncated.png gray.jpg rgb.jpg
	winnow-embed --on-error skip -s 4x4 --batch 2 -o full.npy m.tsv >full.tsv 2>/dev/null
	run env WINNOW_EMBED_CRASH_AFTER=2 winnow-embed --on-error skip -s 4x4 \
		--batch 2 -j 1 --resume -o e.npy m.tsv
	[ "$status" -eq 137 ]
	run --separate-stderr -0 winnow-embed --on-error skip -s 4x4 --batch 2 --resume -o e.npy m.tsv
	[ "$output" = "$(cat full.tsv)" ]
	cmp e.npy full.npy
	# ids differ from the interrupted run
	manifest m1.tsv gray.png rgb.png gray.jpg
	run env WINNOW_EMBED_CRASH_AFTER=1 winnow-embed -s 4x4 --batch 2 -j 1 --resume -o f.npy m1.tsv
	[ "$status" -eq 137 ]
	manifest m2.tsv rgb.png gray.png gray.jpg
	run --separate-stderr -65 winnow-embed -s 4x4 --batch 2 --resume -o f.npy m2.tsv
	[[ "$stderr" == *"the first 2 ids differ"* ]]
}

@test "a run without --resume removes (and reports) the .part and .resume of a killed --resume run" {
	manifest m.tsv gray.png rgb.png gray.jpg rgb.jpg gray.pgm
	winnow-embed -s 4x4 --batch 2 -o full.npy m.tsv >full.tsv
	run env WINNOW_EMBED_CRASH_AFTER=1 winnow-embed -s 4x4 --batch 2 -j 1 --resume -o e.npy m.tsv
	[ "$status" -eq 137 ]
	[ -e e.npy.part ]
	[ -e e.npy.resume ]
	run --separate-stderr -0 winnow-embed -s 4x4 --batch 2 -o e.npy m.tsv
	assert_equal "$stderr" "winnow-embed: removed e.npy.part and e.npy.resume, left by an interrupted --resume run (this run did not resume)"
	cmp e.npy full.npy
	[ ! -e e.npy.part ]
	[ ! -e e.npy.resume ]
	# nothing stale: nothing said
	run --separate-stderr -0 winnow-embed -s 4x4 --batch 2 -o e.npy m.tsv
	assert_equal "$stderr" ""
	# a failed run leaves them for a later --resume
	run env WINNOW_EMBED_CRASH_AFTER=1 winnow-embed -s 4x4 --batch 2 -j 1 --resume -o e.npy m.tsv
	manifest bad.tsv gray.png missing.png
	run -65 winnow-embed -s 4x4 -o e.npy bad.tsv
	[ -e e.npy.part ]
	[ -e e.npy.resume ]
}

@test "kmeans dictionary: corrupt, truncated, wrong channels" {
	fmnist 50
	winnow-embed learn -k 8 --patches 500 -o d.dict fm.tsv
	head -c 300 d.dict >t.dict
	run --separate-stderr -65 winnow-embed -m kmeans --dict t.dict -o k.npy fm.tsv
	[[ "$stderr" == *"t.dict: "*"truncated"* ]]
	printf 'hello\n' >x.dict
	run --separate-stderr -65 winnow-embed -m kmeans --dict x.dict -o k.npy fm.tsv
	[[ "$stderr" == *"x.dict: not a winnow k-means dictionary"* ]]
	run --separate-stderr -65 winnow-embed -m kmeans --dict d.dict --channels 3 -o k.npy fm.tsv
	[[ "$stderr" == *"d.dict: the dictionary was learned on 1-channel patches"* ]]
	run --separate-stderr -65 winnow-embed -m kmeans --dict d.dict -s 4x4 -o k.npy fm.tsv
	[[ "$stderr" == *"smaller than the dictionary's 6x6 patches"* ]]
	run --separate-stderr -66 winnow-embed -m kmeans --dict nope.dict -o k.npy fm.tsv
	run --separate-stderr -65 winnow-embed learn -k 100 --patches 50 -o d2.dict fm.tsv
	[[ "$stderr" == *"fewer than the 100 centroids"* ]]
}

@test "-c config section embed; bad config key is 78" {
	manifest m.tsv gray.png
	printf 'embed:\n  size: 3x2\n  method: pixels\n' >c.yaml
	run -0 winnow-embed -c c.yaml -o e.npy m.tsv
	run -0 shape e.npy; assert_output "float32 1 6"
	printf 'embed:\n  colour: 3\n' >bad.yaml
	run --separate-stderr -78 winnow-embed -c bad.yaml -o e.npy m.tsv
	[[ "$stderr" == *"bad.yaml:2:3: unknown key"* ]]
}

@test "--progress reports on stderr; silent without it" {
	manifest m.tsv gray.png rgb.png
	run --separate-stderr -0 winnow-embed --progress -s 2x2 -o e.npy m.tsv
	[[ "$stderr" == *"embed"*"2"* ]]
	run --separate-stderr -0 winnow-embed -s 2x2 -o e.npy m.tsv
	[ -z "$stderr" ]
}

@test "--progress: total, percentage and ETA from a manifest file; only a count from a pipe; learn --progress too" {
	manifest m.tsv $good
	run --separate-stderr -0 winnow-embed --progress -s 4x4 -o e.npy m.tsv
	# the last line: every row of the 13, 100%, a rate, the time
	last=$(printf '%s' "$stderr" | tr '\r' '\n' | grep . | tail -n 1)
	[[ $last =~ ^embed:\ 13/13\ 100%\ [0-9.]+/s\ in\ [0-9.]+s\ done$ ]]
	run --separate-stderr -0 sh -c 'cat m.tsv | winnow-embed --progress -s 4x4 -o e.npy'
	last=$(printf '%s' "$stderr" | tr '\r' '\n' | grep . | tail -n 1)
	[[ $last =~ ^embed:\ 13\ [0-9.]+/s\ in\ [0-9.]+s\ done$ ]]
	run --separate-stderr -0 winnow-embed -s 4x4 -o e.npy <m.tsv
	[ -z "$stderr" ]
	printf 'id\tpath\n' >fm.tsv
	for i in $(seq 0 9); do printf 'f%d\t%s/train-images-idx3-ubyte.gz#%d\n' $i "$FMNIST" $i; done >>fm.tsv
	[ -r "$FMNIST/train-images-idx3-ubyte.gz" ] || skip "no $FMNIST"
	run --separate-stderr -0 winnow-embed learn --progress -k 4 --patches 200 --iters 3 -o d.dict fm.tsv
	run -0 sh -c 'printf "%s" "$1" | tr "\r" "\n" | grep .' sh "$stderr"
	assert_line --regexp '^learn \(images\): 10/10 100% [0-9.]+/s in [0-9.]+s done$'
	assert_line --regexp '^learn \(k-means iterations\): 3/3 100% .* done$'
	run --separate-stderr -0 winnow-embed learn -k 4 --patches 200 --iters 3 -o d.dict fm.tsv
	[ -z "$stderr" ]
}

@test "bad options and manifests" {
	manifest m.tsv gray.png
	run -0 winnow-embed -h; assert_line --partial "usage: winnow-embed"
	run -64 winnow-embed m.tsv
	run -64 winnow-embed -m kmeans -o e.npy m.tsv
	run -64 winnow-embed --dict d -o e.npy m.tsv
	run -64 winnow-embed -m magic -o e.npy m.tsv
	run -64 winnow-embed -s 28 -o e.npy m.tsv
	run -64 winnow-embed -s 0x5 -o e.npy m.tsv
	run -64 winnow-embed --channels 2 -o e.npy m.tsv
	run -64 winnow-embed -j 0 -o e.npy m.tsv
	run -64 winnow-embed --on-error maybe -o e.npy m.tsv
	run -64 winnow-embed -o - m.tsv
	run -64 winnow-embed --bogus -o e.npy m.tsv
	run -64 winnow-embed learn m.tsv
	run -64 winnow-embed learn --patch 40 -o d.dict m.tsv
	run -66 winnow-embed -o e.npy nothere.tsv
	printf 'id\tfile\na\tb\n' >np.tsv
	run --separate-stderr -65 winnow-embed -o e.npy np.tsv
	[[ "$stderr" == *'np.tsv:1: no "path" column'* ]]
	printf 'id\tpath\n' >empty.tsv
	run -0 winnow-embed -o e.npy empty.tsv
	run -0 shape e.npy; assert_output "float32 0 784"
	manifest s.tsv gray.png
	run -0 bash -c "winnow-embed -s 2x2 -o s.npy <s.tsv"
	assert_line --index 1 --partial "gray.png"
}

# Regression: options that do nothing were accepted silently.
@test "options of the other command are refused: --patches on embed, --resume on learn" {
	printf 'id\tpath\n' >m.tsv
	for o in "--patches 100" "--centroids 4" "--iters 2" "--patch 3"; do
		run -64 --separate-stderr winnow-embed $o -o e.npy m.tsv
		[[ $stderr == "winnow-embed: unknown option: ${o% *}"$'\n'usage:* ]]
	done
	for o in "--resume" "--dict d.dict" "--dim 8" "--method random" "--batch 8" "--stats"; do
		run -64 --separate-stderr winnow-embed learn $o -o d.dict m.tsv
		[[ $stderr == "winnow-embed: unknown option: ${o% *}"$'\n'usage:* ]]
	done
	# a config section shared by both still works for each
	printf 'embed:\n  patches: 500\n  resume: true\n  centroids: 4\n  method: pixels\n' >c.yaml
	printf 'id\tpath\na\t%s\n' "$FIXTURES/embed/gray.png" >one.tsv
	run -0 winnow-embed -c c.yaml -s 8x8 -o e.npy one.tsv
	run -0 winnow-embed learn -c c.yaml -s 8x8 --patch 4 -o d.dict one.tsv
}
