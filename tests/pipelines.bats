#!/usr/bin/env bats
# pipelines/: prune-before-labeling, nightly and sharded end to end on
# Fashion-MNIST (IDX, small subsets) and on the PNG sample folder; the loop
# back; the nightly kill-and-rerun, lock and failure tests; sharded ==
# unsharded under GNU parallel, scheduler indexes, --resume-failed; config
# errors.  (The EXAMPLES of winnow-pipelines(7) run in tests/man.bats.)
load test_helper

PL=$WINNOW_TOP/pipelines
# one BLAS thread: the machine running the tests is often busy, and
# OpenBLAS threads spinning for cores slow every fit down
export OPENBLAS_NUM_THREADS=1

setup_file() {
	local d=$BATS_FILE_TMPDIR
	"$WINNOW_TOP/data/fashion-mnist.sh" "$d/fm" >/dev/null
	# 3,000 training images: a 10% stratified labeled seed, the rest the pool
	head -3001 "$d/fm/train.tsv" >"$d/m3000.tsv"
	winnow-manifest split -f 0.1 --seed 1 --stratify label -o "$d/seed.tsv" "$d/m3000.tsv"
	# the same with 150 of its first images again at the end, under other
	# ids: near-duplicate groups that span the first and the last shard
	{ cat "$d/m3000.tsv"
	  awk -F '\t' -v OFS='\t' 'NR >= 2 && NR <= 151 { $1 = "dup" $1; print }' "$d/m3000.tsv"; } >"$d/m3150.tsv"
	"$WINNOW_TOP/data/png-sample" -n 600 "$d/png" >/dev/null
	winnow-manifest dir "$d/png" |
	    winnow-manifest split -f 0.1 --seed 1 --stratify label -o "$d/pngseed.tsv"
}

# config FILE KEY=VALUE...: a config: the given pipeline keys, pixels, a
# softmax surrogate scored by margin, biased selection of 30%.
config() {
	local f=$1
	shift
	{
		echo "pipeline:"
		for kv in "$@"; do echo "  ${kv%%=*}: ${kv#*=}"; done
		printf '%s\n' "embed:" "  method: pixels" "fit:" "  lambda: 0.01" \
		    "score:" "  method: margin" "select:" "  scheme: biased" \
		    "  alpha: 1" "  fraction: 0.3" "  seed: 3"
	} >"$f"
}

# ---- usage -----------------------------------------------------------------

@test "each pipeline: -h prints the usage, misuse exits 64" {
	for p in prune-before-labeling nightly sharded sweep; do
		run -0 "$PL/$p" -h
		assert_output --partial "usage: $p -c CONFIG.yaml"
		run -64 --separate-stderr "$PL/$p"
		[[ $stderr == *"usage: $p"* ]]
		run -64 "$PL/$p" -x
		run -64 "$PL/$p" -c c.yaml bogus-command
	done
}

# ---- prune-before-labeling ---------------------------------------------------

@test "prune-before-labeling on Fashion-MNIST: a Ground Truth manifest of 30% of the pool, and a report" {
	config c.yaml input="$BATS_FILE_TMPDIR/m3000.tsv" seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" out=out
	run -0 --separate-stderr "$PL/prune-before-labeling" -c c.yaml
	pool=$(($(wc -l <out/work/pool.tsv) - 1))
	kept=$(($(wc -l <out/selected.tsv) - 1))
	[ "$pool" -eq 2700 ]
	[ "$kept" -gt 700 ]
	[ "$kept" -lt 920 ]
	assert_line --index 0 "kept $kept of $pool"
	assert_line --regexp '^Shirt +[0-9]+ +[0-9]+ '
	[ "$(wc -l <out/to-label.jsonl)" -eq "$kept" ]
	# the same rows back from the Ground Truth manifest, none from the seed
	winnow-manifest from-jsonl out/to-label.jsonl | cut -f1 | tail -n +2 | sort >back
	tail -n +2 out/selected.tsv | cut -f1 | sort >ids
	cmp back ids
	[ -z "$(cut -f1 "$BATS_FILE_TMPDIR/seed.tsv" | sort | comm -12 - ids)" ]
	# the pool's labels are never used: its label column is empty
	[ -z "$(tail -n +2 out/selected.tsv | cut -f3 | sort -u)" ]
	# per predicted class, the report's rows and kept counts add up
	awk 'NR > 2 { r += $(NF - 5); k += $(NF - 4) } END { print r, k }' out/report.txt >sums
	[ "$(cat sums)" = "$pool $kept" ]
	# and the page (winnow-report) shows the same counts
	grep -q "<b id=\"n-pool\">$pool</b>" out/report.html
	grep -q "<b id=\"n-kept\">$kept</b>" out/report.html
}

@test "prune-before-labeling on the PNG sample folder; a Ground Truth input manifest gives the same selection" {
	config c.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=a
	run -0 "$PL/prune-before-labeling" -c c.yaml
	[ "$(tail -n +2 a/selected.tsv | wc -l)" -gt 100 ]
	grep -q '"source-ref":"[^"]*/png/[A-Za-z_]*/train-[0-9]*\.png"' a/to-label.jsonl
	winnow-manifest dir "$BATS_FILE_TMPDIR/png" | winnow-manifest to-jsonl >input.jsonl
	config c.yaml input=input.jsonl seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=b
	run -0 "$PL/prune-before-labeling" -c c.yaml
	cmp a/selected.tsv b/selected.tsv
	cmp a/to-label.jsonl b/to-label.jsonl
}

@test "prune-before-labeling grow: the labelers' augmented manifest grows the seed, the next run leaves those images out" {
	cp "$BATS_FILE_TMPDIR/pngseed.tsv" seed.tsv
	config c.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest=seed.tsv out=out label-attribute=job \
	    audit=false
	"$PL/prune-before-labeling" -c c.yaml
	# the labelers answer the first 50 (the class is the folder name);
	# the augmented manifest keeps the input keys and adds job, job-metadata
	head -50 out/to-label.jsonl | "$PYTHON" -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l)
    c = o["source-ref"].split("/")[-2]
    o["job"] = 0
    o["job-metadata"] = {"class-name": c, "confidence": 0.9, "human-annotated": "yes"}
    print(json.dumps(o))' >augmented.jsonl
	run -0 "$PL/prune-before-labeling" -c c.yaml grow augmented.jsonl
	assert_output "seed: 60 + 50 labeled rows"
	[ "$(tail -n +2 seed.tsv | wc -l)" -eq 110 ]
	# every label is the class folder
	awk -F '\t' 'NR > 1 { n = split($2, a, "/"); if (a[n - 1] != $3) bad++ } END { exit bad }' seed.tsv
	# growing again with the same answers adds nothing
	run -0 "$PL/prune-before-labeling" -c c.yaml grow augmented.jsonl
	assert_output "seed: 110 + 0 labeled rows"
	"$PL/prune-before-labeling" -c c.yaml
	[ "$(tail -n +2 out/work/pool.tsv | wc -l)" -eq 490 ]
	winnow-manifest from-jsonl augmented.jsonl | cut -f1 | tail -n +2 | sort >labeled
	tail -n +2 out/selected.tsv | cut -f1 | sort | comm -12 - labeled >both
	[ ! -s both ]
}

@test "prune-before-labeling grow audits the returned labels: the flagged ones go to a verification manifest, not into the seed" {
	cp "$BATS_FILE_TMPDIR/pngseed.tsv" seed.tsv
	config c.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest=seed.tsv out=out label-attribute=job
	printf 'audit:\n  lambda: 0.1\n' >>c.yaml
	"$PL/prune-before-labeling" -c c.yaml
	# the labelers answer 150, every fifth answer wrong (the next folder
	# name in byte order)
	head -150 out/to-label.jsonl | "$PYTHON" -c '
import json, sys
names = sorted(set(l.split("\t")[2] for l in open("seed.tsv").read().splitlines()[1:]))
wrong = open("wrong.ids", "w")
for i, l in enumerate(sys.stdin):
    o = json.loads(l)
    c = o["source-ref"].split("/")[-2]
    if i % 5 == 0:
        c = names[(names.index(c) + 1) % len(names)]
        wrong.write(o["winnow"]["id"] + "\n")
    o["job"] = 0
    o["job-metadata"] = {"class-name": c, "confidence": 0.9, "human-annotated": "yes"}
    print(json.dumps(o))' >augmented.jsonl
	run -0 "$PL/prune-before-labeling" -c c.yaml grow augmented.jsonl
	nflag=$(($(wc -l <out/to-verify.tsv) - 1))
	assert_line --index 0 "audit: $nflag of 150 returned labels flagged for verification: out/to-verify.jsonl"
	assert_line --index 1 "seed: 60 + $((150 - nflag)) labeled rows"
	# the verification manifest: the flagged rows, with the suggested label
	run -0 head -1 out/to-verify.tsv
	assert_output "$(printf 'id\tpath\tlabel\tlabel_quality\tsuggested_label')"
	winnow-manifest from-jsonl out/to-verify.jsonl | cut -f1 | tail -n +2 | sort >back
	tail -n +2 out/to-verify.tsv | cut -f1 | sort >f
	cmp back f
	# none of them joined the seed
	cut -f1 seed.tsv | sort >s
	run -0 comm -12 f s
	assert_output ""
	# a pixel surrogate on 18 rows a class is weak, but the flagged rows
	# are wrong half again as often as the answers (20%), and most wrong
	# answers are flagged
	sort wrong.ids >w
	hit=$(comm -12 w f | wc -l)
	echo "flagged $nflag, wrong 30, both $hit"
	[ "$hit" -ge 18 ]
	[ "$((10 * hit))" -ge "$((3 * nflag))" ]
}

# ---- nightly -----------------------------------------------------------------

# nightly_config ROWS: the nightly config over grow.tsv, the first ROWS
# images of the 3,000 (the seed among them).
nightly_setup() {
	head -"$(($1 + 1))" "$BATS_FILE_TMPDIR/m3000.tsv" >grow.tsv
	config n.yaml input=grow.tsv seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" \
	    state=st out=out
}

@test "nightly: a folder that grows is embedded once, and ends as one run over everything" {
	nightly_setup 3000
	run -0 "$PL/nightly" -c n.yaml
	mv st st.whole
	mv out out.whole
	nightly_setup 1200
	"$PL/nightly" -c n.yaml
	# the seed and the first 1,200 images
	n=$(awk -F '\t' 'NR == FNR { s[$1]; next } FNR > 1 && $1 in s' "$BATS_FILE_TMPDIR/seed.tsv" grow.tsv | wc -l)
	[ "$(wc -l <st/current/embedded.tsv)" -eq $((1 + 1200 + 300 - n)) ]
	nightly_setup 3000
	"$PL/nightly" -c n.yaml
	# the second night embedded only the new images (the logs are dated:
	# the runs may span midnight UTC and write two; count over them all)
	[ "$(cat st/log/nightly-*.log | grep -c ': embed$')" -eq 2 ]
	for f in current/emb.npy current/embedded.tsv; do cmp "st.whole/$f" "st/$f"; done
	for f in selected.tsv to-label.jsonl report.txt; do cmp "out.whole/$f" "out/$f"; done
	# a night with nothing new embeds nothing, and selects the same
	"$PL/nightly" -c n.yaml
	[ "$(cat st/log/nightly-*.log | grep -c ': embed$')" -eq 2 ]
	cmp out.whole/selected.tsv out/selected.tsv
	# the appended embeddings are what one embedding of them all gives
	winnow-embed -m pixels -o direct.npy st/current/embedded.tsv >/dev/null
	cmp direct.npy st/current/emb.npy
	"$PYTHON" -c 'import numpy as np; assert np.load("st/current/emb.npy").shape == (3000, 784)'
	# dated logs (one a day: today's, and yesterday's when the test
	# spanned midnight UTC), only old generations gone
	[ -n "$(ls st/log)" ]
	[ -z "$(ls st/log | grep -v '^nightly-[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\.log$')" ]
	[ "$(ls -d st/gen.*)" = st/gen.2 ]
}

@test "nightly: killed at every step and re-run, it ends as an uninterrupted run" {
	# reference: 1,200 images, then 3,000, uninterrupted
	nightly_setup 1200
	"$PL/nightly" -c n.yaml
	cp -r st st.first
	cp -r out out.first
	nightly_setup 3000
	"$PL/nightly" -c n.yaml
	mv st st.ref
	mv out out.ref
	for step in scan embed commit swap swapped fit score select; do
		rm -rf st out
		cp -r st.first st
		cp -r out.first out
		WINNOW_PIPELINE_KILL_AT=$step run -137 "$PL/nightly" -c n.yaml
		run -0 "$PL/nightly" -c n.yaml
		for f in current/emb.npy current/embedded.tsv; do
			cmp "st.ref/$f" "st/$f" || { echo "killed at $step: $f differs"; false; }
		done
		for f in selected.tsv to-label.jsonl report.txt; do
			cmp "out.ref/$f" "out/$f" || { echo "killed at $step: $f differs"; false; }
		done
		[ "$(ls -d st/gen.*)" = "st/$(readlink st/current)" ]
	done
}

@test "nightly: killed at random moments (SIGKILL to the whole job) and re-run, it ends as an uninterrupted run" {
	nightly_setup 3000
	"$PL/nightly" -c n.yaml
	mv st st.ref
	mv out out.ref
	for t in 0.3 0.8 1.5 2.5; do
		rm -rf st out
		setsid "$PL/nightly" -c n.yaml &
		pid=$!
		sleep "$t"
		kill -KILL -- -"$pid" 2>/dev/null || :
		wait "$pid" || :
		run -0 "$PL/nightly" -c n.yaml
		cmp st.ref/current/emb.npy st/current/emb.npy
		cmp st.ref/current/embedded.tsv st/current/embedded.tsv
		cmp out.ref/selected.tsv out/selected.tsv
		cmp out.ref/to-label.jsonl out/to-label.jsonl
	done
}

@test "nightly: exit 75 while another run holds the lock, nothing done" {
	nightly_setup 1200
	mkdir st
	run -75 --separate-stderr flock st/lock "$PL/nightly" -c n.yaml
	assert_equal "$stderr" "nightly: st/lock: held by another run; try again later"
	[ ! -e st/current ]
	[ ! -e out/selected.tsv ]
	# free again: runs
	run -0 "$PL/nightly" -c n.yaml
	[ -e out/selected.tsv ]
}

@test "nightly: bad images are skipped by default, listed in the log, the report and bad-images.tsv, and tried again" {
	nightly_setup 1200
	"$PL/nightly" -c n.yaml
	cp out/selected.tsv good.tsv
	printf 'not an image' >corrupt.png
	{ cat grow.tsv
	  printf 'gone\t%s\t\n' "$BATS_TEST_TMPDIR/missing.png"
	  printf 'junk\t%s\t\n' "$BATS_TEST_TMPDIR/corrupt.png"; } >grow2.tsv
	mv grow2.tsv grow.tsv
	run -0 --separate-stderr "$PL/nightly" -c n.yaml
	assert_equal "$stderr" ""
	# the newest dated log: the run may have begun before midnight UTC
	log=st/log/$(ls -t st/log | head -1)
	run -0 cat out/bad-images.tsv
	assert_line -n 0 "$(printf 'id\tpath\treason')"
	assert_line -n 1 --regexp "^gone	$BATS_TEST_TMPDIR/missing.png	.*missing.png: No such file or directory\$"
	assert_line -n 2 --regexp "^junk	$BATS_TEST_TMPDIR/corrupt.png	.*corrupt.png: not a PNG, JPEG"
	[ "${#lines[@]}" -eq 3 ]
	run -0 cat out/report.txt
	assert_line "bad images: 2 left out, tried again next run (bad-images.tsv):"
	assert_line --partial "gone	$BATS_TEST_TMPDIR/missing.png	"
	grep -q 'missing.png: No such file or directory (skipped)' "$log"
	grep -q 'corrupt.png: not a PNG' "$log"
	# the other images are selected as before the bad ones came
	cmp good.tsv out/selected.tsv
	# a night later the corrupt image is good: embedded, no longer reported
	cp "$BATS_FILE_TMPDIR/png/$(ls "$BATS_FILE_TMPDIR/png" | head -1)"/"$(ls "$BATS_FILE_TMPDIR/png/$(ls "$BATS_FILE_TMPDIR/png" | head -1)" | head -1)" corrupt.png
	run -0 "$PL/nightly" -c n.yaml
	grep -q '^junk	' st/current/embedded.tsv
	run -0 cut -f1 out/bad-images.tsv
	assert_output "$(printf 'id\ngone')"
	# only bad images new: no new generation of the state
	g=$(readlink st/current)
	run -0 "$PL/nightly" -c n.yaml
	[ "$(readlink st/current)" = "$g" ]
	run -0 cut -f1 out/bad-images.tsv
	assert_output "$(printf 'id\ngone')"
	# bad-images is skip or fail
	sed -i 's/^pipeline:$/pipeline:\n  bad-images: maybe/' n.yaml
	run -78 --separate-stderr "$PL/nightly" -c n.yaml
	assert_equal "$stderr" 'nightly: n.yaml: bad-images: "maybe" is not skip or fail'
}

@test "nightly: a failing stage gives its exit code, a message on stderr, the details in the dated log" {
	nightly_setup 1200
	# failing hard on a bad image is the config's choice
	sed -i 's/^pipeline:$/pipeline:\n  bad-images: fail/' n.yaml
	"$PL/nightly" -c n.yaml
	cp out/selected.tsv before.tsv
	# a missing image among the new ones: winnow-embed exits 65
	{ cat grow.tsv; printf 'bad\t%s\t\n' "$BATS_TEST_TMPDIR/missing.png"; } >grow2.tsv
	mv grow2.tsv grow.tsv
	run -65 --separate-stderr "$PL/nightly" -c n.yaml
	# the newest dated log: the run may have begun before midnight UTC
	log=st/log/$(ls -t st/log | head -1)
	assert_equal "$stderr" "nightly: failed (exit 65), see $log"
	grep -q 'missing.png' "$log"
	grep -q 'nightly: exit 65' "$log"
	# the outputs of the last good run are untouched
	cmp before.tsv out/selected.tsv
}

# ---- sharded -----------------------------------------------------------------

@test "sharded under GNU parallel equals prune-before-labeling byte for byte (Fashion-MNIST, 4 shards)" {
	config u.yaml input="$BATS_FILE_TMPDIR/m3000.tsv" seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" out=u
	"$PL/prune-before-labeling" -c u.yaml
	config s.yaml input="$BATS_FILE_TMPDIR/m3000.tsv" seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" out=s shards=4 jobs=2
	# scoring is row-pure: another block in the shards changes nothing
	# (it did before: the CI failure of this test; regress.bats checks the
	# BLAS threads too -- but winnow-fit's model depends on them, and the
	# two runs each fit theirs)
	sed -i 's/^score:$/score:\n  block: 100/' s.yaml
	grep -q '^  block: 100$' s.yaml
	run -0 "$PL/sharded" -c s.yaml
	for f in selected.tsv to-label.jsonl report.txt work/pool.npy work/scored.tsv; do
		cmp "u/$f" "s/$f"
	done
	[ "$(grep -c . s/work/shard.joblog)" -eq 5 ]
	[ "$(grep -c . s/work/score.joblog)" -eq 5 ]
	[ "$(grep -c . s/work/apply.joblog)" -eq 5 ]
}

@test "sharded run: killed at random moments (SIGKILL to the whole job) and re-run, it ends as an uninterrupted run" {
	config s.yaml input="$BATS_FILE_TMPDIR/m3000.tsv" seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" out=s shards=4 jobs=2
	"$PL/sharded" -c s.yaml
	mv s s.ref
	# the whole job takes about 2 s here: a kill in each of its parts
	for t in 0.2 0.6 1.0 1.5; do
		rm -rf s
		setsid "$PL/sharded" -c s.yaml >/dev/null 2>&1 &
		pid=$!
		sleep "$t"
		kill -KILL -- -"$pid" 2>/dev/null || :
		wait "$pid" || :
		run -0 "$PL/sharded" -c s.yaml
		for f in selected.tsv to-label.jsonl report.txt work/pool.npy work/scored.tsv; do
			cmp "s.ref/$f" "s/$f"
		done
	done
}

@test "sharded with a dedup section: the groups are found over the whole pool, and it equals prune-before-labeling byte for byte" {
	config u.yaml input="$BATS_FILE_TMPDIR/m3150.tsv" seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" out=u
	config s.yaml input="$BATS_FILE_TMPDIR/m3150.tsv" seed-manifest="$BATS_FILE_TMPDIR/seed.tsv" out=s shards=4 jobs=2
	sed -i 's/^fit:$/dedup:\n  threshold: 0.987\n&/' u.yaml s.yaml
	grep -q '^  threshold: 0.987$' s.yaml
	"$PL/prune-before-labeling" -c u.yaml
	run -0 "$PL/sharded" -c s.yaml
	for f in selected.tsv to-label.jsonl report.txt work/pool.npy work/scored.tsv work/dedup.tsv; do
		cmp "u/$f" "s/$f"
	done
	# the 150 copies are in the last shard, their originals in the first:
	# only a dedup over the whole pool finds those pairs
	[ "$(grep -c '^dup' s/work/shard-3.rows.tsv)" -eq 150 ]
	[ "$(grep -c '^dup' s/work/shard-0.rows.tsv)" -eq 0 ]
	run -0 grep '^near-duplicates: ' s/report.txt
	[[ $output =~ ^near-duplicates:\ 1[5-9][0-9]\ of\ 2850\ rows\ dropped ]]
	# no copy and its original both scored
	run -0 sh -c "cut -f2 s/work/scored.tsv | sort | uniq -d | wc -l"
	assert_output 0
	# dedup: false keeps them all, as unsharded
	for c in u s; do sed -i 's/^pipeline:$/&\n  dedup: false/' $c.yaml; done
	"$PL/prune-before-labeling" -c u.yaml
	"$PL/sharded" -c s.yaml
	cmp u/selected.tsv s/selected.tsv
	cmp u/report.txt s/report.txt
	[ "$(($(wc -l <s/work/scored.tsv) - 1))" -eq 2850 ]
	[ ! -e s/work/dedup.tsv ]
}

@test "sharded on the PNG sample folder, random embedding, other scheme (ccs), 3 shards and other -j, equals the unsharded run" {
	config u.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=u
	config s.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=s shards=3
	# random projections are one BLAS product per embedding batch: the
	# shards must hold whole batches (50 rows here, 11 in the pool)
	sed -i 's/scheme: biased/scheme: ccs/; /alpha/d
	    s/method: pixels/method: random\n  dim: 64\n  batch: 50/' u.yaml s.yaml
	sed -i 's/^  batch: 50$/&\n  jobs: 2/; s/^score:$/&\n  block: 7/' s.yaml
	grep -q '^  jobs: 2$' s.yaml
	"$PL/prune-before-labeling" -c u.yaml
	"$PL/sharded" -c s.yaml
	cmp u/selected.tsv s/selected.tsv
	cmp u/to-label.jsonl s/to-label.jsonl
}

@test "sharded: per-shard commands take I from the operand, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX" {
	config s.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=s shards=3
	config r.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=r shards=3
	"$PL/sharded" -c r.yaml run
	"$PL/sharded" -c s.yaml prepare
	"$PL/sharded" -c s.yaml shard 0
	SLURM_ARRAY_TASK_ID=1 "$PL/sharded" -c s.yaml shard
	JOB_COMPLETION_INDEX=2 "$PL/sharded" -c s.yaml shard
	"$PL/sharded" -c s.yaml dedup
	# the operand wins over the environment, SLURM over Kubernetes
	SLURM_ARRAY_TASK_ID=2 JOB_COMPLETION_INDEX=0 "$PL/sharded" -c s.yaml score
	JOB_COMPLETION_INDEX=1 "$PL/sharded" -c s.yaml score 0
	JOB_COMPLETION_INDEX=1 "$PL/sharded" -c s.yaml score
	"$PL/sharded" -c s.yaml merge
	SLURM_ARRAY_TASK_ID=0 JOB_COMPLETION_INDEX=2 "$PL/sharded" -c s.yaml apply
	JOB_COMPLETION_INDEX=0 "$PL/sharded" -c s.yaml apply 1
	JOB_COMPLETION_INDEX=2 "$PL/sharded" -c s.yaml apply
	"$PL/sharded" -c s.yaml finish
	cmp r/selected.tsv s/selected.tsv
	cmp r/work/pool.npy s/work/pool.npy
	run -64 --separate-stderr "$PL/sharded" -c s.yaml shard
	assert_equal "$stderr" "sharded: shard: no shard index: give I (0 to 2), or set SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX"
	run -64 --separate-stderr "$PL/sharded" -c s.yaml shard 3
	assert_equal "$stderr" "sharded: shard 3: there are 3 shards (0 to 2)"
}

@test "sharded: a bad shard index, or a step before prepare, names what is wrong (64, 66)" {
	config s.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=s shards=3
	run -64 --separate-stderr "$PL/sharded" -c s.yaml shard abc
	assert_equal "$stderr" 'sharded: shard abc: "abc" is not a shard index (a whole number, 0 to 2)'
	run -64 --separate-stderr env SLURM_ARRAY_TASK_ID=-1 "$PL/sharded" -c s.yaml apply
	assert_equal "$stderr" 'sharded: SLURM_ARRAY_TASK_ID=-1: "-1" is not a shard index (a whole number, 0 to 2)'
	# before prepare: every later step says to run prepare (no sh error)
	for step in "shard 0" dedup "score 2" "apply 1" merge finish; do
		run -66 --separate-stderr "$PL/sharded" -c s.yaml $step
		assert_equal "$stderr" "sharded: $step: s/work: not prepared; run \"sharded -c s.yaml prepare\" first"
	done
	[ ! -e s ]
	"$PL/sharded" -c s.yaml prepare
	"$PL/sharded" -c s.yaml shard 1
	run -66 "$PL/sharded" -c s.yaml score 1
	assert_line --partial 'score 1: s/work/shard-1.kept.tsv: the pool is not deduplicated; run "sharded -c s.yaml dedup" first'
	run -66 "$PL/sharded" -c s.yaml apply 1
	assert_line --partial 'apply 1: s/work/all.plan: the plans are not merged; run "sharded -c s.yaml merge" first'
}

@test "sharded: dedup, merge and finish refuse a shard that has not run" {
	config s.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=s shards=2
	"$PL/sharded" -c s.yaml prepare
	"$PL/sharded" -c s.yaml shard 0
	run -66 --separate-stderr "$PL/sharded" -c s.yaml dedup
	[[ $stderr == *"
sharded: s/work/shard-1.rows.tsv: shard 1 has not run" ]]
	"$PL/sharded" -c s.yaml shard 1
	"$PL/sharded" -c s.yaml dedup
	"$PL/sharded" -c s.yaml score 0
	run -66 --separate-stderr "$PL/sharded" -c s.yaml merge
	[[ $stderr == *"
sharded: s/work/shard-1.plan: shard 1 has not run" ]]
	run -66 --separate-stderr "$PL/sharded" -c s.yaml finish
	[[ $stderr == *"
sharded: s/work/shard-1.scored.tsv: shard 1 has not run" ]]
}

@test "sharded: a failed shard exits 75; the re-run redoes only it (--resume-failed) and ends equal" {
	cp -r "$BATS_FILE_TMPDIR/png" png
	config u.yaml input=png seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=u
	"$PL/prune-before-labeling" -c u.yaml
	config s.yaml input=png seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=s shards=3 jobs=1
	# break one image of the last shard
	f=$(tail -1 u/work/pool.tsv | cut -f2)
	cp "$f" good.png
	echo 'not a png' >"$f"
	run -75 --separate-stderr "$PL/sharded" -c s.yaml
	[[ $stderr == *"sharded: some shard jobs failed (see s/work/shard.joblog"* ]]
	[ "$(awk 'NR > 1 && $7 != 0' s/work/shard.joblog | wc -l)" -eq 1 ]
	cp good.png "$f"
	run -0 "$PL/sharded" -c s.yaml
	# shards 0 and 1 ran once, shard 2 twice
	[ "$(grep -c 'shard 0$' s/work/shard.joblog)" -eq 1 ]
	[ "$(grep -c 'shard 1$' s/work/shard.joblog)" -eq 1 ]
	[ "$(grep -c 'shard 2$' s/work/shard.joblog)" -eq 2 ]
	cmp u/selected.tsv s/selected.tsv
	# a changed config makes the job logs stale: everything runs again
	sed -i 's/fraction: 0.3/fraction: 0.2/' s.yaml
	"$PL/sharded" -c s.yaml
	[ "$(grep -c 'shard 0$' s/work/shard.joblog)" -eq 1 ]
	sed -i 's/fraction: 0.3/fraction: 0.2/' u.yaml
	"$PL/prune-before-labeling" -c u.yaml
	cmp u/selected.tsv s/selected.tsv
}

# ---- sweep -------------------------------------------------------------------

# sweep_config FILE: pipelines/sweep.yaml made small: 1,000 training and 300
# test images, two fractions, one seed, two schemes
sweep_config() {
	sed 's/^  fractions:.*/  fractions: 0.3 0.5/; s/^  seeds:.*/  seeds: 1/
	    s/^  rows: 0 .*/  rows: 1000/; s/^  test-rows: 0 .*/  test-rows: 300/
	    s/dim: 1024/dim: 128/; /^  winnow-a1:/d' \
	    "$PL/sweep.yaml" >"$1"
}

@test "sweep on Fashion-MNIST: a row per run, the summary and plot; a re-run redoes nothing, a new fraction only its runs" {
	sweep_config s.yaml
	run -0 "$PL/sweep" -c s.yaml
	assert_line --regexp '^full +1 +1 +1000 +0\.[0-9]+ '
	assert_line --regexp '^winnow +0\.3 +1 +[0-9]+ +0\.[0-9]+ '
	r=sweep-out/results.tsv
	[ "$(tail -n +2 $r | wc -l)" -eq 5 ]
	[ "$(cut -f1-3 $r | sort | uniq -d)" = "" ]
	awk -F '\t' 'NR > 1 && !($5 > 0.5 && $5 <= 1) { exit 1 }' $r
	[ "$(awk -F '\t' '$1 == "random" && $2 == 0.3 { print $4 }' $r)" -eq 300 ]
	[ "$(grep -c . sweep-out/summary.tsv)" -eq 6 ]
	! command -v gnuplot >/dev/null || [ -s sweep-out/sweep.png ]
	# one seed: no standard deviation ("-", not 0)
	run -0 awk -F '\t' 'NR > 1 { print $6 }' sweep-out/summary.tsv
	assert_output "$(printf -- '-\n-\n-\n-\n-')"
	# the plot's y range holds every line with room above and below: the
	# full-data line is not on the border
	full=$(awk -F '\t' '$1 == "full" { print $5 }' $r)
	run -0 awk -v full="$full" '/^set yrange / { v = $3; gsub(/[][]/, "", v)
		split(v, a, ":"); lo = a[1]; hi = a[2]; n++ }
		END { if (n != 1 || !(lo < full - 0.0005 && full + 0.0005 < hi)) exit 1 }' sweep-out/sweep.gp
	run -0 awk -F '\t' 'NR == FNR { if (/^set yrange /) { v = $0; sub(/^set yrange /, "", v)
			gsub(/[][]/, "", v); split(v, a, ":"); lo = a[1]; hi = a[2] }; next }
		FNR > 1 && !(lo < $5 && $5 < hi) { bad++ } END { exit bad > 0 }' sweep-out/sweep.gp sweep-out/summary.tsv
	grep -q '<section id="sweep">' sweep-out/report.html
	cp $r before.tsv
	touch -d '2 hours ago' sweep-out/train.npy
	run -0 "$PL/sweep" -c s.yaml
	cmp before.tsv $r
	[ "$(find sweep-out/train.npy -mmin +60)" ]   # not embedded again
	sed -i 's/^  fractions:.*/  fractions: 0.3 0.5 0.2/' s.yaml
	run -0 "$PL/sweep" -c s.yaml
	[ "$(tail -n +2 $r | wc -l)" -eq 7 ]
	head -6 $r | cmp - before.tsv
}

@test "sweep: a wrong key, section, scheme option or value fails before any work (exit 78)" {
	sweep_config s.yaml
	t() {
		sed "$2" s.yaml >b.yaml
		run -78 --separate-stderr "$PL/sweep" -c b.yaml
		[[ $stderr == *"$1"* ]] || { echo "expected: $1, got: $stderr"; return 1; }
		[ ! -e sweep-out ]
	}
	t 'b.yaml:11:3: unknown key "seedz" in section "pipeline"' 's/^  seeds:/  seedz:/'
	t 'b.yaml:26:1: unknown section "trian"' 's/^train:/trian:/'
	t 'winnow-train: b.yaml:29:3: unknown key "max-iters" in section "train"' 's/^  max-iter:/  max-iters:/'
	t 'winnow-embed: b.yaml:' 's/^  method: kmeans/  method: bogus/'
	t 'b.yaml:33:3: scheme "winnow": unknown option' 's/^  winnow: -s biased --alpha 2/  winnow: -s biased --alpah 2/'
	t 'b.yaml:33:3: scheme "winnow": ' 's/^  winnow: -s biased --alpha 2/  winnow: -s biased --alpha x/'
	t 'b.yaml: fraction "5" is not in (0, 1]' 's/^  fractions: .*/  fractions: 0.3 5/'
	t 'b.yaml: "x" is not a whole number' 's/^  seeds: .*/  seeds: 1 x/'
	t 'b.yaml: "2.5" is not a whole number' 's/^  rounds: .*/  rounds: 2.5/'
	t 'b.yaml: rounds must be at least 1' 's/^  rounds: .*/  rounds: 0/'
	t 'b.yaml: no schemes' '/^  random:/d; /^  winnow:/d'
	t 'b.yaml:34:1: YAML syntax error' 's/^  winnow: .*/  winnow/'
	run -66 --separate-stderr "$PL/sweep" -c nonesuch.yaml
}

# ---- config ------------------------------------------------------------------

@test "config: a wrong key, section or value fails before any work, naming FILE:LINE:COL and the key (exit 78)" {
	# (sweep: its own test above)
	for p in prune-before-labeling nightly sharded; do
		config c.yaml input=x seed-manifest=y out=out state=st
		case $p in
		prune-before-labeling) sed -i '/state:/d' c.yaml ;;
		sharded) sed -i 's/state: st/shards: 2/' c.yaml ;;
		esac
		# pipeline section
		sed 's/^  out:/  outt:/' c.yaml >bad.yaml
		run -78 --separate-stderr "$PL/$p" -c bad.yaml
		[[ $stderr == "$p: bad.yaml:4:3: unknown key \"outt\" in section \"pipeline\" (known keys: "* ]]
		# a program's section: the program says so
		sed 's/^  fraction:/  fracton:/' c.yaml >bad.yaml
		run -78 --separate-stderr "$PL/$p" -c bad.yaml
		[[ $stderr == "winnow-select: bad.yaml:"*":3: unknown key \"fracton\" in section \"select\""* ]]
		sed 's/^  method: pixels/  method: pixles/' c.yaml >bad.yaml
		run -78 --separate-stderr "$PL/$p" -c bad.yaml
		l=$(grep -n pixles bad.yaml | cut -d: -f1)
		[[ $stderr == "winnow-embed: bad.yaml:$l:3: method: \"pixles\" is not one of"* ]]
		# a section no program has
		sed 's/^select:/selekt:/' c.yaml >bad.yaml
		run -78 --separate-stderr "$PL/$p" -c bad.yaml
		l=$(grep -n selekt bad.yaml | cut -d: -f1)
		[[ $stderr == "$p: bad.yaml:$l:1: unknown section \"selekt\""* ]]
		# YAML syntax
		printf 'pipeline:\n  input: [x\n' >bad.yaml
		run -78 "$PL/$p" -c bad.yaml
		assert_output --partial "bad.yaml:"
		# a required key
		sed '/seed-manifest:/d' c.yaml >bad.yaml
		run -78 --separate-stderr "$PL/$p" -c bad.yaml
		assert_equal "$stderr" "$p: bad.yaml: section \"pipeline\" needs the key \"seed-manifest\""
		run -66 --separate-stderr "$PL/$p" -c nonesuch.yaml
		assert_equal "$stderr" "$p: nonesuch.yaml: cannot read the config file"
		[ ! -e out ]
		[ ! -e st ]
	done
	config c.yaml input=x seed-manifest=y shards=two
	run -78 --separate-stderr "$PL/sharded" -c c.yaml
	assert_equal "$stderr" "sharded: c.yaml: shards: \"two\" is not a whole number above 0"
	config c.yaml input=x seed-manifest=y
	sed -i 's/method: margin/method: prototype/' c.yaml
	run -78 --separate-stderr "$PL/sharded" -c c.yaml
	assert_equal "$stderr" "sharded: c.yaml: score: method: prototype finds its centroids in the data it scores, which shards cannot share; use another method"
}

@test "config: quoted values, comments and blank lines in the pipeline section" {
	cp -r "$BATS_FILE_TMPDIR/png" "my png"
	config c.yaml input='"my png"   # a "folder"' seed-manifest="'$BATS_FILE_TMPDIR/pngseed.tsv'" out='o # here'
	sed -i '2i\
\
  # a comment' c.yaml
	run -0 "$PL/prune-before-labeling" -c c.yaml
	[ -s o/to-label.jsonl ]
	grep -q 'my png/' o/selected.tsv
}

@test "wn_dict: the k-means dictionary is learned once, atomically, and reused as it is" {
	winnow-manifest idx "$FMNIST/t10k-images-idx3-ubyte.gz" "$FMNIST/t10k-labels-idx1-ubyte.gz" |
		head -n 301 >m.tsv
	dict() { sh -c 'prog=t; . "$1/pipelines/lib.sh"; wn_dict d.dict m.tsv -k 16 -j 1' t "$WINNOW_TOP"; }
	run dict
	assert_success
	head -c 21 d.dict >magic
	run cat magic
	assert_output "winnow-kmeans-dict 1"
	cksum <d.dict >first
	# a second call keeps it: a later night or round embeds with the same
	# features even from other images
	head -n 101 m.tsv >m2.tsv && mv m2.tsv m.tsv
	run dict
	assert_success
	run sh -c 'cksum <d.dict | cmp - first'
	assert_success
	# a failed learn leaves no dictionary behind
	rm d.dict
	head -n 1 m.tsv >m2.tsv && mv m2.tsv m.tsv
	run dict
	assert_failure 65
	[ ! -e d.dict ]
}

@test "prune-before-labeling with the shipped config: k-means features (dictionary learned once), dedup-embed drops an injected copy" {
	# the shipped config, on the PNG sample, with a small dictionary
	sed "s|input: png-sample |input: in.tsv |; s|seed-manifest: seed.tsv |seed-manifest: $BATS_FILE_TMPDIR/pngseed.tsv |
	    s|centroids: 400 |centroids: 16 |" "$PL/prune-before-labeling.yaml" >c.yaml
	grep -q '^dedup-embed:' c.yaml
	# an exact copy of a pool image under a new id
	winnow-manifest dir "$BATS_FILE_TMPDIR/png" >in.tsv
	awk -F '\t' -v OFS='\t' 'NR == FNR { s[$1]; next }
	    FNR > 1 && !($1 in s) && !done++ { $1 = "copy-of-" $1; print }' \
	    "$BATS_FILE_TMPDIR/pngseed.tsv" in.tsv >copy.tsv
	cat copy.tsv >>in.tsv
	run -0 "$PL/prune-before-labeling" -c c.yaml
	[ -s winnow-out/kmeans.dict ]
	[ -s winnow-out/work/pool.dedup.npy ]
	# the copy or its original dropped, not both
	run -0 awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "dup_rank") r = i; next } $r != 0 { n++ } END { print n + 0 }' winnow-out/work/dedup.tsv
	[ "$output" -ge 1 ]
	run -0 sh -c "cut -f2 winnow-out/work/scored.tsv | sort | uniq -d | wc -l"
	assert_output 0
	cksum <winnow-out/kmeans.dict >first
	run -0 "$PL/prune-before-labeling" -c c.yaml
	run -0 sh -c 'cksum <winnow-out/kmeans.dict | cmp - first'
}

@test "config: an unknown key in dedup-embed is refused before any work (78, FILE:LINE:COL)" {
	config c.yaml input="$BATS_FILE_TMPDIR/png" seed-manifest="$BATS_FILE_TMPDIR/pngseed.tsv" out=o
	printf '%s\n' "dedup-embed:" "  method: random" "  bogus: 1" "dedup:" "  threshold: 0.995" >>c.yaml
	run -78 --separate-stderr "$PL/prune-before-labeling" -c c.yaml
	[[ $stderr == *"c.yaml:"*":3: unknown key \"bogus\" in section \"dedup-embed\""* ]]
	[ ! -e o ]
}

@test "sharded with the shipped config (k-means, dedup-embed) equals prune-before-labeling byte for byte" {
	winnow-manifest dir "$BATS_FILE_TMPDIR/png" >in.tsv
	awk -F '\t' -v OFS='\t' 'NR == FNR { s[$1]; next }
	    FNR > 1 && !($1 in s) && !done++ { $1 = "copy-of-" $1; print }' \
	    "$BATS_FILE_TMPDIR/pngseed.tsv" in.tsv >>in.tsv.copy
	cat in.tsv.copy >>in.tsv
	for p in prune-before-labeling sharded; do
		sed "s|input: png-sample |input: in.tsv |; s|seed-manifest: seed.tsv |seed-manifest: $BATS_FILE_TMPDIR/pngseed.tsv |
		    s|centroids: 400 |centroids: 16 |; s|jobs: 0 |jobs: 2 |; s|shards: 4 |shards: 3 |
		    s|  dim: 1024 |  dim: 1024\n  batch: 64|" "$PL/$p.yaml" >$p.yaml
	done
	"$PL/prune-before-labeling" -c prune-before-labeling.yaml
	run -0 "$PL/sharded" -c sharded.yaml
	for f in selected.tsv to-label.jsonl report.txt work/pool.npy work/scored.tsv work/dedup.tsv work/pool.dedup.npy kmeans.dict; do
		cmp "winnow-out/$f" "sharded-out/$f"
	done
	[ -s sharded-out/work/shard-2.dedup.npy ]
	run -0 grep '^near-duplicates: 1 of ' sharded-out/report.txt
}
