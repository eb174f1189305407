#!/usr/bin/env bats
# winnow-manifest: idx, dir, split, to-jsonl, from-jsonl; and the shared
# behaviour every program gets from lib/ (options, config, atomic -o,
# closed pipes, full disks).

load test_helper

classes() { echo "$WINNOW_TOP/data/fashion-mnist-classes.txt"; }

@test "idx: Fashion-MNIST train gives 60,000 rows, 6,000 per class" {
	run --separate-stderr winnow-manifest idx --classes "$(classes)" \
		"$FMNIST/train-images-idx3-ubyte.gz" "$FMNIST/train-labels-idx1-ubyte.gz"
	assert_success
	[ "${lines[0]}" = "$(printf 'id\tpath\tlabel')" ]
	[ "${#lines[@]}" -eq 60001 ]
	[ "${lines[1]}" = "$(printf 'train-0\t%s\tAnkle boot' "$FMNIST/train-images-idx3-ubyte.gz#0")" ]
	counts=$(printf '%s\n' "${lines[@]:1}" | cut -f3 | sort | uniq -c | awk '{print $1}' | sort -u)
	[ "$counts" = 6000 ]
	[ "$(printf '%s\n' "${lines[@]:1}" | cut -f3 | sort -u | wc -l)" -eq 10 ]
}

@test "idx: numeric labels without --classes, no label column values without LABELS" {
	run winnow-manifest idx "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz"
	assert_success
	[ "${#lines[@]}" -eq 10001 ]
	[ "${lines[1]}" = "$(printf 't10k-0\t%s\t9' "$FMNIST/t10k-images-idx3-ubyte.gz#0")" ]
	run winnow-manifest idx --id-prefix x "$FMNIST/t10k-images-idx3-ubyte.gz"
	[ "${lines[1]}" = "$(printf 'x-0\t%s\t' "$FMNIST/t10k-images-idx3-ubyte.gz#0")" ]
}

@test "idx: truncated, corrupt and mismatched IDX files are refused" {
	head -c 5000 "$FMNIST/t10k-labels-idx1-ubyte.gz" >trunc.gz
	run -65 --separate-stderr winnow-manifest idx "$FMNIST/t10k-images-idx3-ubyte.gz" trunc.gz
	assert_equal "$stderr" "winnow-manifest: trunc.gz: truncated gzip data"
	printf 'not an idx file' >bad
	run -65 --separate-stderr winnow-manifest idx bad
	assert_equal "$stderr" "winnow-manifest: bad: not an IDX file (bad magic 6e6f)"
	printf '\037\213garbage' >corrupt.gz
	run -65 --separate-stderr winnow-manifest idx corrupt.gz
	assert_output ""
	[[ $stderr == "winnow-manifest: corrupt.gz: "* ]]
	run -65 --separate-stderr winnow-manifest idx "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/train-labels-idx1-ubyte.gz"
	[[ $stderr == *"has 10000 images but"*"has 60000 labels" ]]
	run -66 --separate-stderr winnow-manifest idx missing.gz
	[[ $stderr == "winnow-manifest: missing.gz: No such file or directory" ]]
	printf 'A\nB\n' >two.txt
	run -65 --separate-stderr winnow-manifest idx --classes two.txt "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz"
	[[ $stderr == *"label 9 of item 0 has no name in two.txt (2 classes)" ]]
}

@test "dir: images under class folders, sorted, label from the folder" {
	mkdir -p imgs/cat imgs/dog imgs/.hidden
	touch imgs/dog/b.png imgs/dog/a.JPG imgs/cat/z.pgm imgs/cat/notes.txt imgs/.hidden/x.png imgs/top.ppm
	run winnow-manifest dir imgs/
	assert_success
	assert_equal "$output" "$(printf 'id\tpath\tlabel\ncat/z.pgm\timgs/cat/z.pgm\tcat\ndog/a.JPG\timgs/dog/a.JPG\tdog\ndog/b.png\timgs/dog/b.png\tdog\ntop.ppm\timgs/top.ppm\t')"
	run -66 --separate-stderr winnow-manifest dir nowhere
	assert_equal "$stderr" "winnow-manifest: nowhere: No such file or directory"
}

@test "split: exact stratified counts, deterministic, same from a pipe" {
	winnow-manifest idx --classes "$(classes)" "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz" >all.tsv
	run winnow-manifest split -f 0.04 --seed 3 --stratify label -o seed.tsv -r rest.tsv all.tsv
	assert_success
	[ "$(tail -n +2 seed.tsv | wc -l)" -eq 400 ]
	[ "$(tail -n +2 rest.tsv | wc -l)" -eq 9600 ]
	[ "$(tail -n +2 seed.tsv | cut -f3 | sort | uniq -c | awk '{print $1}' | sort -u)" = 40 ]
	# every id exactly once across the two sides, in input order
	cat <(tail -n +2 seed.tsv) <(tail -n +2 rest.tsv) | cut -f1 | sort >ids
	tail -n +2 all.tsv | cut -f1 | sort | cmp - ids
	cat all.tsv | winnow-manifest split -f 0.04 --seed 3 --stratify label | cmp - seed.tsv
	# input order does not matter: shuffled input, same set
	(head -1 all.tsv; tail -n +2 all.tsv | sort -r) | winnow-manifest split -f 0.04 --seed 3 --stratify label |
		tail -n +2 | sort | cmp - <(tail -n +2 seed.tsv | sort)
	# another seed, another set
	winnow-manifest split -f 0.04 --seed 4 --stratify label all.tsv >seed4.tsv
	run -1 cmp -s seed4.tsv seed.tsv
	run winnow-manifest split -f 0.25 all.tsv
	[ "${#lines[@]}" -eq 2501 ]
}

@test "split: bad options and bad input" {
	make_manifest m.tsv "id|label" "a|x" "b|y"
	run -64 --separate-stderr winnow-manifest split m.tsv
	[[ $stderr == *"-f FRACTION is required"* ]]
	run -64 --separate-stderr winnow-manifest split -f 1.5 m.tsv
	assert_equal "$stderr" "winnow-manifest: -f: 1.5 is out of range (0 to 1)"
	run -64 --separate-stderr winnow-manifest split -f abc m.tsv
	assert_equal "$stderr" 'winnow-manifest: -f: "abc" is not a number'
	run -64 --separate-stderr winnow-manifest split --fraction=0.5 --seed -1 m.tsv
	[[ $stderr == "winnow-manifest: --seed: \"-1\" is not a seed"* ]]
	run -65 --separate-stderr winnow-manifest split -f 0.5 --stratify nope m.tsv
	assert_equal "$stderr" 'winnow-manifest: m.tsv:1: no column "nope" to stratify by'
	make_manifest ragged.tsv "id|label" "a|x" "b"
	run -65 --separate-stderr winnow-manifest split -f 0.5 -o out.tsv ragged.tsv
	assert_equal "$stderr" "winnow-manifest: ragged.tsv:3: 1 fields, but the header names 2 columns"
	[ ! -e out.tsv ]
	make_manifest dup.tsv "id|label" "a|x" "a|y"
	run -65 --separate-stderr winnow-manifest split -f 0.5 dup.tsv
	assert_equal "$stderr" 'winnow-manifest: dup.tsv:3: duplicate id "a"'
	: >empty.tsv
	run -65 --separate-stderr winnow-manifest split -f 0.5 empty.tsv
	assert_equal "$stderr" "winnow-manifest: empty.tsv: empty file: a manifest needs a header line"
	run -66 winnow-manifest split -f 0.5 missing.tsv
}

@test "config: section defaults, command line overrides, errors name file:line:col (exit 78)" {
	make_manifest m.tsv "id|label" "a|x" "b|x" "c|y" "d|y"
	printf 'manifest:\n  fraction: 0.5\n  stratify: label\nselect:\n  anything: goes\n' >ok.yaml
	run winnow-manifest split -c ok.yaml m.tsv
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	run winnow-manifest split -c ok.yaml -f 1 m.tsv
	[ "${#lines[@]}" -eq 5 ]
	printf 'manifest:\n  fraction: 0.5\n  fractoin: 0.2\n' >typo.yaml
	run -78 --separate-stderr winnow-manifest split -c typo.yaml m.tsv
	[[ $stderr == 'winnow-manifest: typo.yaml:3:3: unknown key "fractoin" in section "manifest" (known keys: '* ]]
	printf 'manifest:\n  fraction: lots\n' >type.yaml
	run -78 --separate-stderr winnow-manifest split -c type.yaml m.tsv
	assert_equal "$stderr" 'winnow-manifest: type.yaml:2:3: fraction: "lots" is not a number'
	printf 'manifest:\n  fraction: 0.5\n   seed: 1\n' >syntax.yaml
	run -78 --separate-stderr winnow-manifest split -c syntax.yaml m.tsv
	assert_equal "$stderr" "winnow-manifest: syntax.yaml:3:8: YAML syntax error: mapping values are not allowed in this context"
	printf 'manifest:\n  fraction: [0.5]\n' >list.yaml
	run -78 --separate-stderr winnow-manifest split -c list.yaml m.tsv
	assert_equal "$stderr" "winnow-manifest: list.yaml:2:13: manifest.fraction: expected a single value, not a list"
	run -66 winnow-manifest split -c nope.yaml m.tsv
}

@test "to-jsonl and from-jsonl round trip a manifest" {
	make_manifest m.tsv "id|path|label|score" "a|img/a.png|cat|0.5" "b|img/b.png||1e-3"
	run winnow-manifest to-jsonl m.tsv
	assert_success
	assert_line --index 0 '{"source-ref":"img/a.png","winnow":{"id":"a","label":"cat","score":"0.5"}}'
	winnow-manifest to-jsonl m.tsv | winnow-manifest from-jsonl >back.tsv
	cmp back.tsv m.tsv
}

@test "from-jsonl: augmented manifest from a labeling job" {
	cat >aug.jsonl <<-'J'
	{"source-ref":"s3://b/1.png","winnow":{"id":"one"},"animal":1,"animal-metadata":{"class-name":"dog","confidence":0.9}}
	{"source-ref":"s3://b/2.png","animal":0,"animal-metadata":{"class-map":{"0":"cat"}},"job":"j1"}
	{"source-ref":"s3://b/3.png"}
	J
	run winnow-manifest from-jsonl --label-attribute animal aug.jsonl
	assert_success
	assert_line --index 0 "$(printf 'id\tpath\tlabel\tjob')"
	assert_line --index 1 "$(printf 'one\ts3://b/1.png\tdog\t')"
	assert_line --index 2 "$(printf 's3://b/2.png\ts3://b/2.png\tcat\tj1')"
	assert_line --index 3 "$(printf 's3://b/3.png\ts3://b/3.png\t\t')"
}

@test "from-jsonl: bad lines are refused with file and line" {
	printf '{"source-ref":"a"}\n{"source-ref": \n' >bad.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl bad.jsonl
	[[ $stderr == "winnow-manifest: bad.jsonl:2:"* ]]
	printf '{"source-ref":"a"}\n{"nope":1}\n' >nosrc.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl nosrc.jsonl
	assert_equal "$stderr" 'winnow-manifest: nosrc.jsonl:2: no "source-ref" string'
	printf '{"source-ref":"a"}\n{"source-ref":"a"}\n' >dup.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl dup.jsonl
	assert_equal "$stderr" 'winnow-manifest: dup.jsonl:2: duplicate id "a"'
	"$PYTHON" -c 'print("{\"source-ref\":\"" + "x" * 100001 + "\"}")' >long.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl long.jsonl
	[[ $stderr == *"long.jsonl:1: line of 100018 characters is over the 100000 limit" ]]
	printf '[1,2]\n' >arr.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl arr.jsonl
	assert_equal "$stderr" "winnow-manifest: arr.jsonl:1: not a JSON object"
}

@test "output: a full disk is an error (74), never silent success" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -74 --separate-stderr sh -c 'winnow-manifest idx "$1" >/dev/full' sh "$FMNIST/t10k-images-idx3-ubyte.gz"
	[[ $stderr == *"write error: No space left on device" ]]
}

@test "output: -o into a missing folder is exit 73, and nothing is left behind on error" {
	mkdir work && cd work
	make_manifest m.tsv "id" "a" "b"
	run -73 --separate-stderr winnow-manifest split -f 0.5 -o no/such/dir/out.tsv m.tsv
	[[ $stderr == "winnow-manifest: no/such/dir/out.tsv: cannot create: No such file or directory" ]]
	make_manifest bad.tsv "id" "a" "a"
	run -65 winnow-manifest split -f 0.5 -o out.tsv -r rest.tsv bad.tsv
	[ ! -e out.tsv ]
	[ ! -e rest.tsv ]
	assert_equal "$(ls -A | tr '\n' ' ')" "bad.tsv m.tsv "
}

@test "output: a reader that goes away (| head -1) ends the program quietly" {
	run bash -c 'set -o pipefail; winnow-manifest idx "$1" 2>err | head -1; echo "status ${PIPESTATUS[0]}"' sh "$FMNIST/train-images-idx3-ubyte.gz"
	assert_line --index 0 "$(printf 'id\tpath\tlabel')"
	assert_line --index 1 "status 141"
	[ ! -s err ]
}

@test "usage: -h to stdout (0), misuse to stderr (64)" {
	run -0 winnow-manifest -h
	assert_line --index 0 --partial "usage: winnow-manifest idx"
	run -0 winnow-manifest split -h
	run -64 --separate-stderr winnow-manifest
	[[ $stderr == usage:* ]]
	run -64 --separate-stderr winnow-manifest frobnicate
	[[ $stderr == 'winnow-manifest: unknown command "frobnicate"'* ]]
	run -64 --separate-stderr winnow-manifest split --bogus
	[[ $stderr == "winnow-manifest: unknown option: --bogus"* ]]
	run -64 --separate-stderr winnow-manifest split -f
	[[ $stderr == "winnow-manifest: option needs an argument: -f"* ]]
}

@test "winnow dispatcher runs winnow-COMMAND" {
	run -0 winnow manifest -h
	assert_line --index 0 --partial "usage: winnow-manifest"
	run -0 winnow --version
	run -64 --separate-stderr winnow nosuch
	assert_equal "$stderr" "winnow: winnow-nosuch: no such command"
}
