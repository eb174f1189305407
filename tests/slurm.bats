# pipelines/sharded slurm under a running Slurm: a one-node cluster on
# loopback (tests/slurm-cluster.sh: munged, slurmctld, slurmd from Debian's
# munge and slurm-wlm, started here and stopped by their pids); the result
# byte for byte the unsharded prune-before-labeling's; a failed array task
# submitted again, and only it; a task that keeps failing ends the run with
# exit 75 naming it.
load test_helper

PL=$WINNOW_TOP/pipelines
export OPENBLAS_NUM_THREADS=1

setup_file() {
	local d=$BATS_FILE_TMPDIR
	"$WINNOW_TOP/data/png-sample" -n 600 "$d/png" >/dev/null
	winnow-manifest dir "$d/png" |
	    winnow-manifest split -f 0.1 --seed 1 --stratify label -o "$d/seed.tsv"
	# the tests that need the cluster skip with this reason when it is set
	SLURM_SKIP=
	if ! command -v slurmctld >/dev/null 2>&1 && ! PATH=$PATH:/usr/sbin command -v slurmctld >/dev/null 2>&1; then
		SLURM_SKIP="Slurm is not installed (make deps installs slurm-wlm and munge; it could not here)"
	elif [ "$(id -u)" -ne 0 ]; then
		SLURM_SKIP="the test cluster's slurmd runs as root (SlurmdUser=root) and munged as munge: run as root"
	fi
	export SLURM_SKIP
	[ -z "$SLURM_SKIP" ] || return 0
	# not under BATS_FILE_TMPDIR: munged checks every directory above its
	# socket, and Bats makes its run directory 700 (munge cannot enter)
	SLURM_DIR=$(mktemp -d /tmp/winnow-slurm.XXXXXX)
	export SLURM_DIR
	sh "$WINNOW_TOP/tests/slurm-cluster.sh" up "$SLURM_DIR" >"$SLURM_DIR/up.log" 2>&1 || {
		cat "$SLURM_DIR/up.log" >&3
		sh "$WINNOW_TOP/tests/slurm-cluster.sh" down "$SLURM_DIR"
		rm -rf "$SLURM_DIR"
		return 1
	}
	export SLURM_CONF=$SLURM_DIR/slurm.conf
}

need_cluster() {
	[ -z "$SLURM_SKIP" ] || skip "$SLURM_SKIP"
}

teardown_file() {
	[ -n "${SLURM_DIR:-}" ] || return 0
	sh "$WINNOW_TOP/tests/slurm-cluster.sh" down "$SLURM_DIR"
	rm -rf "$SLURM_DIR"
}

# config FILE KEY=VALUE...: pipeline keys (input: the sample folder unless
# given), pixels, softmax, margin, biased selection of 30% (as
# tests/pipelines.bats)
config() {
	local f=$1
	shift
	{
		echo "pipeline:"
		case " $* " in *" input="*) ;; *) echo "  input: $BATS_FILE_TMPDIR/png" ;; esac
		echo "  seed-manifest: $BATS_FILE_TMPDIR/seed.tsv"
		for kv in "$@"; do echo "  ${kv%%=*}: ${kv#*=}"; done
		printf '%s\n' "embed:" "  method: pixels" "fit:" "  lambda: 0.01" \
		    "score:" "  method: margin" "select:" "  scheme: biased" \
		    "  alpha: 1" "  fraction: 0.3" "  seed: 3"
	} >"$f"
}

# failing_bin DIR STEP TASK TIMES: DIR holds the programs, and a
# winnow-select that fails (exit 75) the first TIMES times it runs for
# "winnow-select STEP" in array task TASK, and logs each such run in
# DIR/runs as "STEP TASK".  The pipelines put $WINNOW_BIN first on PATH.
failing_bin() {
	local dir=$1 step=$2 task=$3 times=$4
	mkdir -p "$dir"
	ln -s "$WINNOW_BIN"/winnow-* "$dir/"
	rm "$dir/winnow-select"
	cat >"$dir/winnow-select" <<EOF
#!/bin/sh
t=\${SLURM_ARRAY_TASK_ID:-x}
[ "\$1" != plan ] || [ "\$2" = --merge ] || echo "plan \$t" >>"$dir/runs"
[ "\$1" != apply ] || echo "apply \$t" >>"$dir/runs"
if [ "\$1" = "$step" ] && [ "\$t" = "$task" ] && [ "\$(cat "$dir/failed" 2>/dev/null)" != "$times" ]; then
	echo x >>"$dir/failed.tally"
	wc -l <"$dir/failed.tally" | tr -d ' ' >"$dir/failed"
	echo "winnow-select: injected failure of task \$t" >&2
	exit 75
fi
exec "$WINNOW_BIN/winnow-select" "\$@"
EOF
	chmod +x "$dir/winnow-select"
}

@test "slurm: the test cluster runs a four-task job array" {
	need_cluster
	run -0 sbatch --parsable --array=0-3 -o "$PWD/t-%a.out" --wrap 'echo task $SLURM_ARRAY_TASK_ID'
	id=$output
	# wait for the four tasks' output (squeue -j ID lists the array until it ends)
	for _ in $(seq 60); do
		[ -z "$(squeue -h -j "$id" 2>/dev/null)" ] && break
		sleep 0.5
	done
	run -0 cat t-0.out t-1.out t-2.out t-3.out
	assert_output "$(printf 'task %d\n' 0 1 2 3)"
}

@test "slurm: sharded slurm equals prune-before-labeling byte for byte, near-duplicates dropped over the whole pool; a failed score task is retried, and only it" {
	need_cluster
	# the sample folder and 40 of its images again under other ids, last
	winnow-manifest dir "$BATS_FILE_TMPDIR/png" >in.tsv
	awk -F '\t' -v OFS='\t' 'NR >= 2 && NR <= 41 { $1 = "dup-" $1; print }' in.tsv >>in.tsv
	config u.yaml out=u input=in.tsv
	config s.yaml out=s shards=4 input=in.tsv
	sed -i 's/^fit:$/dedup:\n  threshold: 0.987\n&/' u.yaml s.yaml
	"$PL/prune-before-labeling" -c u.yaml >/dev/null 2>&1
	failing_bin fb plan 2 1
	run -0 --separate-stderr env WINNOW_BIN="$PWD/fb" "$PL/sharded" -c s.yaml slurm
	for f in selected.tsv to-label.jsonl report.txt work/pool.npy work/scored.tsv work/dedup.tsv; do
		cmp "u/$f" "s/$f"
	done
	assert_output "$(cat u/report.txt)"
	assert_line --regexp '^near-duplicates: [1-9][0-9]+ of [0-9]+ rows dropped'
	[ "$(grep -c '^dup-' s/work/dedup.tsv)" -eq 40 ]
	[ "$(grep -c '^dup-' s/work/shard-0.rows.tsv)" -eq 0 ]
	[[ $stderr == *"slurm round 0: shard tasks 0,1,2,3, score tasks 0,1,2,3, apply tasks 0,1,2,3"* ]]
	[[ $stderr == *"slurm round 1: shard tasks none, score tasks 2, apply tasks 0,1,2,3"* ]]
	# task 2's plan ran twice, the others once; each apply once
	run -0 sort fb/runs
	assert_output "$(printf '%s\n' 'apply 0' 'apply 1' 'apply 2' 'apply 3' 'plan 0' 'plan 1' 'plan 2' 'plan 2' 'plan 3')"
	# the Slurm logs: four shard tasks, dedup, four score tasks, then
	# score task 2 again (the merge, apply and finish jobs of round 0 were
	# cancelled: they never ran, and wrote no log); the failure in task
	# 2's first score log
	run -0 sh -c 'ls s/work/slurm | sed "s/-[0-9]*_/-A_/; s/-[0-9]*\.out/.out/" | sort'
	assert_output "$(printf '%s\n' winnow-apply-A_0.out winnow-apply-A_1.out winnow-apply-A_2.out \
	    winnow-apply-A_3.out winnow-dedup.out winnow-finish.out winnow-merge.out \
	    winnow-prepare.out winnow-score-A_0.out winnow-score-A_1.out winnow-score-A_2.out \
	    winnow-score-A_2.out winnow-score-A_3.out winnow-shard-A_0.out winnow-shard-A_1.out \
	    winnow-shard-A_2.out winnow-shard-A_3.out)"
	run -0 cat s/work/slurm/winnow-score-*_2.out
	assert_output --partial "winnow-select: injected failure of task 2"
}

@test "slurm: an apply task failing more than retries times ends the run, exit 75, naming it; a re-run redoes only it" {
	need_cluster
	config s.yaml out=s shards=3 retries=1
	failing_bin fb apply 1 2
	run -75 --separate-stderr env WINNOW_BIN="$PWD/fb" "$PL/sharded" -c s.yaml slurm
	[[ $stderr == *"sharded: after 2 rounds, shard tasks none, score tasks none, apply tasks 1 have not run or the finish job "*" failed (logs in s/work/slurm/); run again to redo only them"* ]]
	[ ! -e s/selected.tsv ]
	run -0 sort fb/runs
	assert_output "$(printf '%s\n' 'apply 0' 'apply 1' 'apply 1' 'apply 2' 'plan 0' 'plan 1' 'plan 2')"
	# the third try succeeds: only apply 1 runs again
	: >fb/runs
	run -0 --separate-stderr env WINNOW_BIN="$PWD/fb" "$PL/sharded" -c s.yaml slurm
	[[ $stderr == *"slurm round 0: shard tasks none, score tasks none, apply tasks 1"* ]]
	run -0 cat fb/runs
	assert_output "apply 1"
	config r.yaml out=r shards=3
	"$PL/sharded" -c r.yaml run >/dev/null 2>&1
	cmp r/selected.tsv s/selected.tsv
	cmp r/to-label.jsonl s/to-label.jsonl
}

@test "slurm: config errors and a missing sbatch" {
	config s.yaml out=s retries=x
	run -78 --separate-stderr "$PL/sharded" -c s.yaml slurm
	assert_equal "$stderr" "sharded: s.yaml: retries: \"x\" is not a whole number"
	config s.yaml out=s
	# a PATH of everything in /usr/bin but sbatch
	mkdir nos
	for f in /usr/bin/*; do
		[ "$f" = /usr/bin/sbatch ] || ln -s "$f" nos/
	done
	[ ! -e nos/sbatch ]
	run -78 --separate-stderr env PATH="$WINNOW_BIN:$PWD/nos" "$PL/sharded" -c s.yaml slurm
	assert_equal "$stderr" "sharded: s.yaml: slurm: no sbatch on PATH (run it where Slurm jobs are submitted)"
}

@test "sharded-k8s.yaml: prepare, shard, dedup, score, merge, apply, finish as Jobs; the per-shard ones indexed, as many as sharded.yaml's shards, a failed index retried" {
	run -0 "$PYTHON" - "$WINNOW_TOP/pipelines/sharded-k8s.yaml" "$WINNOW_TOP/pipelines/sharded.yaml" <<'PY'
import sys, yaml
jobs = list(yaml.safe_load_all(open(sys.argv[1])))
shards = yaml.safe_load(open(sys.argv[2]))["pipeline"]["shards"]
for j in jobs:
    s = j["spec"]
    c = s["template"]["spec"]["containers"][0]["command"]
    idx = s.get("completionMode") == "Indexed"
    print(j["kind"], j["metadata"]["name"], c[1:], idx,
          s.get("completions") == shards if idx else "-",
          s.get("backoffLimitPerIndex", s.get("backoffLimit")))
PY
	assert_output "$(printf '%s\n' \
	    "Job winnow-prepare ['-c', 'sharded.yaml', 'prepare'] False - 1" \
	    "Job winnow-shard ['-c', 'sharded.yaml', 'shard'] True True 1" \
	    "Job winnow-dedup ['-c', 'sharded.yaml', 'dedup'] False - 1" \
	    "Job winnow-score ['-c', 'sharded.yaml', 'score'] True True 1" \
	    "Job winnow-merge ['-c', 'sharded.yaml', 'merge'] False - 1" \
	    "Job winnow-apply ['-c', 'sharded.yaml', 'apply'] True True 1" \
	    "Job winnow-finish ['-c', 'sharded.yaml', 'finish'] False - 1")"
}
