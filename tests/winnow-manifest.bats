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
	# score is a number column: it goes out as JSON numbers, as written
	assert_line --index 0 '{"source-ref":"img/a.png","winnow":{"id":"a","label":"cat","score":0.5}}'
	assert_line --index 1 '{"source-ref":"img/b.png","winnow":{"id":"b","label":"","score":1e-3}}'
	winnow-manifest to-jsonl m.tsv | winnow-manifest from-jsonl >back.tsv
	# and come back as the shortest text of the same double
	sed 's/1e-3$/0.001/' m.tsv | cmp - back.tsv
	run -0 winnow-manifest to-jsonl --strings m.tsv
	assert_line --index 0 '{"source-ref":"img/a.png","winnow":{"id":"a","label":"cat","score":"0.5"}}'
	winnow-manifest to-jsonl --strings m.tsv | winnow-manifest from-jsonl | cmp - m.tsv
}

# Regression: extra keys came back as strings ("n":"3.5",
# "extra":"{\"a\":[1,2]}") and floats as 0.90000000000000002.
@test "from-jsonl | to-jsonl keeps JSON types and shortest round-trip floats" {
	cat >in.jsonl <<-'J'
	{"source-ref":"s3://b/1.png","n":3.5,"c":0.9,"s":0.30000000000000004,"m":1.0,"i":-3,"t":true,"extra":{"a":[1,2],"f":0.1},"z":"007"}
	{"source-ref":"s3://b/2.png","n":2,"c":0.25,"s":1e-7,"m":2.5e10,"i":4,"t":false,"extra":[],"z":"8"}
	J
	run -0 winnow-manifest from-jsonl in.jsonl
	assert_line --index 0 "$(printf 'id\tpath\tlabel\tn\tc\ts\tm\ti\tt\textra\tz')"
	assert_line --index 1 "$(printf 's3://b/1.png\ts3://b/1.png\t\t3.5\t0.9\t0.30000000000000004\t1.0\t-3\ttrue\t{"a":[1,2],"f":0.1}\t007')"
	assert_line --index 2 "$(printf 's3://b/2.png\ts3://b/2.png\t\t2\t0.25\t1e-7\t2.5e10\t4\tfalse\t[]\t8')"
	winnow-manifest from-jsonl in.jsonl | winnow-manifest to-jsonl >out.jsonl
	# every key has its JSON type and value again (id and label added)
	run -0 "$PYTHON" -c '
import json
a = [json.loads(l) for l in open("in.jsonl")]
b = [json.loads(l) for l in open("out.jsonl")]
for x, y in zip(a, b):
    w = y.pop("winnow")
    assert w.pop("id") == x["source-ref"] and w.pop("label") == "", w
    y.update(w)
    assert x == y and [type(v) for v in x.values()] == [type(y[k]) for k in x], (x, y)
print(len(b))'
	assert_output 2
	grep -q '"c":0.9,' out.jsonl
	grep -q '"z":"007"' out.jsonl
}

# Regression: the Ground Truth metadata was dropped and a failed task
# became an unlabeled row without a word.
@test "from-jsonl keeps the label metadata as columns and reports failed tasks" {
	cat >aug.jsonl <<-'J'
	{"source-ref":"s3://b/1.png","winnow":{"id":"one"},"animal":1,"animal-metadata":{"class-name":"dog","confidence":0.9,"type":"groundtruth/image-classification","job-name":"labeling-job/animals","human-annotated":"yes","creation-date":"2026-11-30T10:00:00.000000"}}
	{"source-ref":"s3://b/2.png","winnow":{"id":"two"},"animal-metadata":{"failure-reason":"ClientError: task expired","job-name":"labeling-job/animals"}}
	{"source-ref":"s3://b/3.png","winnow":{"id":"three","confidence":"old"},"animal":0,"animal-metadata":{"class-map":{"0":"cat"},"confidence":0.75,"human-annotated":"no"}}
	J
	run -0 --separate-stderr winnow-manifest from-jsonl aug.jsonl
	assert_line --index 0 "$(printf 'id\tpath\tlabel\tconfidence\ttype\tjob-name\thuman-annotated\tcreation-date\tfailure-reason')"
	assert_line --index 1 "$(printf 'one\ts3://b/1.png\tdog\t0.9\tgroundtruth/image-classification\tlabeling-job/animals\tyes\t2026-11-30T10:00:00.000000\t')"
	assert_line --index 2 "$(printf 'two\ts3://b/2.png\t\t\t\tlabeling-job/animals\t\t\tClientError: task expired')"
	# the metadata's confidence wins over the namespace's
	assert_line --index 3 "$(printf 'three\ts3://b/3.png\tcat\t0.75\t\t\tno\t\t')"
	assert_equal "$stderr" "$(printf '%s\n' \
		'winnow-manifest: aug.jsonl:2: labeling task failed (ClientError: task expired): "two" has no label' \
		'winnow-manifest: aug.jsonl: 1 of 3 labeling tasks failed; their rows have an empty label and the reason in the failure-reason column')"
}

# Regression: without --label-attribute every label was silently empty.
@test "from-jsonl finds the label attribute, or refuses listing the candidates" {
	printf '%s\n' '{"source-ref":"a.png","sport":0,"sport-metadata":{"class-name":"golf"}}' \
		'{"source-ref":"b.png","sport":1,"sport-metadata":{"class-name":"polo"}}' >one.jsonl
	run -0 winnow-manifest from-jsonl one.jsonl
	assert_line --index 1 "$(printf 'a.png\ta.png\tgolf')"
	assert_line --index 2 "$(printf 'b.png\tb.png\tpolo')"
	printf '%s\n' '{"source-ref":"a.png","sport":0,"sport-metadata":{"class-name":"golf"},"indoor":1,"indoor-metadata":{"class-name":"no"}}' >two.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl two.jsonl
	assert_equal "$stderr" 'winnow-manifest: two.jsonl: 2 label attributes ("sport", "indoor"): name the one that holds the labels with --label-attribute'
	run -0 winnow-manifest from-jsonl --label-attribute indoor two.jsonl
	assert_line --index 0 "$(printf 'id\tpath\tlabel\tsport\tsport-metadata')"
	assert_line --index 1 "$(printf 'a.png\ta.png\tno\t0\t{"class-name":"golf"}')"
}

@test "--source-prefix maps local paths to s3:// URIs and back; -c gives it" {
	make_manifest m.tsv "id|path|label" "a|data/img/a.png|cat" "b|data/img/sub/b.png|" "c|data/other/c.png|"
	run -0 winnow-manifest to-jsonl --source-prefix data/img/=s3://bkt/pool/ \
		--source-prefix data/other/=s3://bkt/o/ m.tsv
	assert_line --index 0 '{"source-ref":"s3://bkt/pool/a.png","winnow":{"id":"a","label":"cat"}}'
	assert_line --index 1 '{"source-ref":"s3://bkt/pool/sub/b.png","winnow":{"id":"b","label":""}}'
	assert_line --index 2 '{"source-ref":"s3://bkt/o/c.png","winnow":{"id":"c","label":""}}'
	printf '%s\n' "$output" >s3.jsonl
	run -0 winnow-manifest from-jsonl --source-prefix data/img/=s3://bkt/pool/ \
		--source-prefix data/other/=s3://bkt/o/ s3.jsonl
	assert_equal "$output" "$(cat m.tsv)"
	# a path no mapping covers is refused, nothing half-written to -o
	run -65 --separate-stderr winnow-manifest to-jsonl --source-prefix data/img/=s3://bkt/pool/ m.tsv
	assert_equal "$stderr" 'winnow-manifest: m.tsv:4: path "data/other/c.png" starts with none of the --source-prefix folders'
	run -65 --separate-stderr winnow-manifest from-jsonl --source-prefix x/=s3://elsewhere/ s3.jsonl
	assert_equal "$stderr" 'winnow-manifest: s3.jsonl:1: source-ref "s3://bkt/pool/a.png" starts with none of the --source-prefix URIs'
	run -64 --separate-stderr winnow-manifest to-jsonl --source-prefix data/img/ m.tsv
	assert_equal "$stderr" 'winnow-manifest: --source-prefix: "data/img/" is not LOCAL=URI (say data/img/=s3://bucket/img/)'
	# regression: to-jsonl -c was an unknown option; the section is shared with split
	printf 'manifest:\n  fraction: 0.5\n  source-prefix: data/=s3://bkt/d/\n  namespace: wn\n' >c.yaml
	run -0 winnow-manifest to-jsonl -c c.yaml m.tsv
	assert_line --index 0 '{"source-ref":"s3://bkt/d/img/a.png","wn":{"id":"a","label":"cat"}}'
	run -0 winnow-manifest split -c c.yaml m.tsv
	printf 'manifest:\n  fractoin: 0.5\n' >bad.yaml
	run -78 --separate-stderr winnow-manifest to-jsonl -c bad.yaml m.tsv
	[[ $stderr == *'bad.yaml:2:3: unknown key "fractoin"'* ]]
}

# Regression: a TAB in source-ref was blamed on "id".
@test "from-jsonl names the key a bad value came from" {
	printf '{"source-ref":"a\\tb"}\n' >tab.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl tab.jsonl
	assert_equal "$stderr" 'winnow-manifest: tab.jsonl:1: value of "source-ref" holds a TAB'
	printf '{"source-ref":"a","winnow":{"id":"x\\ny"}}\n' >nl.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl nl.jsonl
	assert_equal "$stderr" 'winnow-manifest: nl.jsonl:1: value of "winnow.id" holds a line break'
	printf '{"source-ref":"a","l":1,"l-metadata":{"class-name":"c\\td"}}\n' >cn.jsonl
	run -65 --separate-stderr winnow-manifest from-jsonl cn.jsonl
	assert_equal "$stderr" 'winnow-manifest: cn.jsonl:1: value of "l-metadata.class-name" holds a TAB'
}

# Regression: to-jsonl accepted duplicate ids, which then reached a paid job.
@test "to-jsonl refuses duplicate ids" {
	make_manifest d.tsv "id|path" "a|x.png" "a|y.png"
	run -65 --separate-stderr winnow-manifest to-jsonl d.tsv
	assert_equal "$stderr" 'winnow-manifest: d.tsv:3: duplicate id "a"'
	assert_output ""
}

@test "from-jsonl: augmented manifest from a labeling job" {
	cat >aug.jsonl <<-'J'
	{"source-ref":"s3://b/1.png","winnow":{"id":"one"},"animal":1,"animal-metadata":{"class-name":"dog","confidence":0.9}}
	{"source-ref":"s3://b/2.png","animal":0,"animal-metadata":{"class-map":{"0":"cat"}},"job":"j1"}
	{"source-ref":"s3://b/3.png"}
	J
	run winnow-manifest from-jsonl --label-attribute animal aug.jsonl
	assert_success
	assert_line --index 0 "$(printf 'id\tpath\tlabel\tconfidence\tjob')"
	assert_line --index 1 "$(printf 'one\ts3://b/1.png\tdog\t0.9\t')"
	assert_line --index 2 "$(printf 's3://b/2.png\ts3://b/2.png\tcat\t\tj1')"
	assert_line --index 3 "$(printf 's3://b/3.png\ts3://b/3.png\t\t\t')"
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
