# pipelines/lib.sh - shared by the pipelines (sourced, POSIX sh).
#
# The caller sets prog (its name, for messages) and, before wn_config,
# default values for its pipeline keys as shell variables named after the
# keys ("seed-manifest" -> seed_manifest).

# The programs: $WINNOW_BIN (tests, ASan builds), else the build tree beside
# this file, else PREFIX/bin when this is PREFIX/share/winnow/pipelines
# (make install), else PATH.
wn_top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${WINNOW_BIN:-}" ]; then
	PATH=$WINNOW_BIN:$PATH
elif [ -x "$wn_top/bin/winnow-embed" ]; then
	PATH=$wn_top/bin:$PATH
elif [ -x "$wn_top/../../bin/winnow-embed" ]; then
	PATH=$(cd "$wn_top/../../bin" && pwd):$PATH
fi
export PATH
LC_ALL=C
export LC_ALL
# OpenBLAS's idle threads spin (sched_yield) for about 2^28 cycles after
# the library starts and after each threaded call.  The programs start
# often here and run their hot loops on threads of their own, which the
# spinning took time from: 2^4 cycles is about a tenth of a second of CPU
# less per program (1.1 s of the 13 s of CPU of make demo).
OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-4}
export OPENBLAS_THREAD_TIMEOUT
tab=$(printf '\t')

# wn_die CODE MESSAGE: "PROG: MESSAGE" on stderr, exit CODE (sysexits).
wn_die() {
	code=$1
	shift
	echo "$prog: $*" >&2
	exit "$code"
}

# wn_config FILE PROGRAMS -- KEYS: check the whole config before any work
# starts, then set one shell variable per pipeline key found ($wn_sections:
# more section names, which the caller checks and reads itself).
#  - Each program section is checked by the program itself ("winnow-select
#    -c FILE -h" reads its section, exits 78 naming FILE:LINE:COL and the
#    key on a bad one); libyaml catches syntax errors there too.
#  - Top-level section names and the keys of the "pipeline" section are
#    checked here, by awk.  The pipeline section must be block style, one
#    "key: value" a line; values plain or quoted scalars.
wn_config() {
	wn_cf=$1
	shift
	[ -r "$wn_cf" ] || wn_die 66 "$wn_cf: cannot read the config file"
	wn_progs=
	while [ "$1" != -- ]; do
		wn_progs="$wn_progs $1"
		shift
	done
	shift
	wn_keys=" $* "
	for p in $wn_progs; do
		case $p in
		manifest) winnow-manifest split -c "$wn_cf" -h >/dev/null ;;
		*) "winnow-$p" -c "$wn_cf" -h >/dev/null ;;
		esac || exit
	done
	wn_kv=$(awk -v prog="$prog" -v file="$wn_cf" -v keys="$wn_keys" \
	    -v sections=" manifest embed dedup fit score select train pipeline ${wn_sections:-} " '
	function fail(col, msg) {
		printf "%s: %s:%d:%d: %s\n", prog, file, NR, col, msg >"/dev/stderr"
		bad = 1
		exit 78
	}
	/^[ \t]*(#.*)?$/ || /^(---|\.\.\.)/ { next }
	/^[^ \t]/ {
		k = $0
		sub(/[ \t]*:.*/, "", k)
		if (index(sections, " " k " ") == 0)
			fail(1, "unknown section \"" k "\" (known sections:" sections ")")
		insec = (k == "pipeline")
		sec = k
		v = $0
		sub(/^[^:]*:[ \t]*/, "", v)
		if (insec && v !~ /^(#.*)?$/)
			fail(1, "write the pipeline section one \"key: value\" a line")
		next
	}
	# the program keys sharded needs to know (the only ones read here)
	(sec == "embed" && $1 == "batch:") || (sec == "score" && $1 == "method:") {
		k = $1
		sub(/:$/, "", k)
		gsub(/["\047]/, "", $2)
		print sec "_" k "\t" $2
	}
	insec {
		col = match($0, /[^ \t]/)
		line = substr($0, col)
		if (line !~ /^[A-Za-z0-9_-]+:([ \t]|$)/)
			fail(col, "expected \"key: value\" in section \"pipeline\"")
		k = line
		sub(/:.*/, "", k)
		if (index(keys, " " k " ") == 0)
			fail(col, "unknown key \"" k "\" in section \"pipeline\" (known keys:" keys ")")
		v = line
		sub(/^[^:]*:[ \t]*/, "", v)
		if (v ~ /^"/) {
			if (!sub(/^"/, "", v) || !sub(/"[ \t]*(#.*)?$/, "", v))
				fail(col, "unterminated quoted value of \"" k "\"")
		} else if (v ~ /^\047/) {
			if (!sub(/^\047/, "", v) || !sub(/\047[ \t]*(#.*)?$/, "", v))
				fail(col, "unterminated quoted value of \"" k "\"")
		} else {
			sub(/[ \t]+#.*$/, "", v)
			sub(/[ \t]+$/, "", v)
		}
		if (v == "" || v ~ /^[|>&*!{[]/)
			fail(col, "the value of \"" k "\" must be a plain or quoted scalar")
		print k "\t" v
	}' "$wn_cf") || exit 78
	# keys come from the caller's list, values are never evaluated
	while IFS=$tab read -r wn_k wn_v; do
		[ -n "$wn_k" ] || continue
		eval "$(echo "$wn_k" | tr - _)=\$wn_v"
	done <<EOF
$wn_kv
EOF
}

# wn_need NAME...: each named pipeline key must be set.
wn_need() {
	for k in "$@"; do
		eval "v=\${$(echo "$k" | tr - _):-}"
		[ -n "$v" ] || wn_die 78 "$wn_cf: section \"pipeline\" needs the key \"$k\""
	done
}

# wn_input INPUT OUT: a manifest with columns id, path, label from a folder
# (winnow-manifest dir), a Ground Truth manifest (*.jsonl, *.manifest:
# winnow-manifest from-jsonl) or a winnow manifest (any other file: the id,
# path and label columns are kept, a missing label column is added empty).
wn_input() {
	if [ -d "$1" ]; then
		winnow-manifest dir "$1" >"$2.tmp"
	elif [ -r "$1" ]; then
		case $1 in
		*.jsonl | *.manifest) winnow-manifest from-jsonl "$1" >"$2.tmp" ;;
		*) cp "$1" "$2.tmp" ;;
		esac
	else
		wn_die 66 "$1: no such folder or manifest"
	fi
	wn_columns id path label <"$2.tmp" >"$2" || wn_die 65 "$1: no id or path column"
	rm -f "$2.tmp"
}

# wn_columns NAME... < MANIFEST: only the named columns, in that order (a
# missing column comes out empty, except id and path: exit 1).
wn_columns() {
	awk -F '\t' -v OFS='\t' -v want="$*" '
	NR == 1 {
		n = split(want, w, " ")
		for (i = 1; i <= NF; i++) at[$i] = i
		if (!("id" in at) || !("path" in at)) exit 1
		$0 = ""
		for (i = 1; i <= n; i++) $i = w[i]
		print
		next
	}
	{
		line = ""
		for (i = 1; i <= n; i++)
			line = line (i > 1 ? OFS : "") (w[i] in at ? $(at[w[i]]) : "")
		print line
	}'
}

# wn_minus A B: the rows of manifest A whose id (first column) is not in B.
wn_minus() {
	awk -F '\t' 'NR == FNR { if (FNR > 1) drop[$1]; next } FNR == 1 || !($1 in drop)' "$2" "$1"
}

# wn_rows NPY: the row count of a winnow-written .npy (128-byte header).
wn_rows() {
	head -c 128 "$1" | sed -n "s/.*'shape': (\([0-9]*\), [0-9]*).*/\1/p"
}

# wn_npy_cat OUT NPY...: concatenate '<f4' .npy files written by winnow
# (fixed 128-byte header, lib/npy.h) into OUT, atomically.  Stands in for an
# append mode of winnow-embed, which does not have one.
wn_npy_cat() {
	wn_out=$1
	shift
	wn_n=0 wn_d=
	for f in "$@"; do
		h=$(head -c 128 "$f" | tr -d '\0' | tail -c 118)
		r=$(wn_rows "$f")
		d=$(echo "$h" | sed -n "s/.*'shape': ([0-9]*, \([0-9]*\)).*/\1/p")
		case $h in "{'descr': '<f4', 'fortran_order': False, 'shape': ("*) ;;
		*) wn_die 65 "$f: not a .npy written by winnow" ;; esac
		[ -z "$wn_d" ] || [ "$d" = "$wn_d" ] ||
			wn_die 65 "$f: $d columns, $wn_d expected"
		wn_d=$d wn_n=$((wn_n + r))
	done
	{
		# the header lib/npy.c writes: magic, version 1.0, length 118
		printf '\223NUMPY\001\000\166\000'
		printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': ($wn_n, $wn_d), }"
		for f in "$@"; do tail -c +129 "$f"; done
	} >"$wn_out.tmp"
	mv -f "$wn_out.tmp" "$wn_out"
}

# wn_report SCORED SELECTED: kept count and score distribution per
# predicted class: rows, kept, min, median, mean, max of the score.
wn_report() {
	echo "kept $(($(wc -l <"$2") - 1)) of $(($(wc -l <"$1") - 1))"
	printf '%-16s %7s %7s %9s %9s %9s %9s\n' pred rows kept min median mean max
	# kept counts, then every row's pred and score, sorted by pred, score
	awk -F '\t' -v OFS='\t' '
	FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	NR == FNR { print $c["pred"], "k"; next }
	{ print $c["pred"], "s", $c["score"] }' "$2" "$1" |
	    sort -t "$tab" -k1,1 -k2,2 -k3,3g |
	    awk -F '\t' '
	function flush() {
		if (m == 0) return
		med = m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
		printf "%-16s %7d %7d %9.4g %9.4g %9.4g %9.4g\n", p, m, k, v[1], med, sum / m, v[m]
	}
	$1 != p { flush(); p = $1; m = k = sum = 0 }
	$2 == "k" { k++; next }
	{ v[++m] = $3; sum += $3 }
	END { flush() }'
}

# wn_to FILE COMMAND...: COMMAND's stdout into FILE, atomically (a temporary
# file beside it, renamed when COMMAND succeeded).
wn_to() {
	wn_f=$1
	shift
	"$@" >"$wn_f.tmp" || { wn_s=$?; rm -f "$wn_f.tmp"; exit "$wn_s"; }
	mv -f "$wn_f.tmp" "$wn_f"
}

# wn_step NAME: log the step.  WINNOW_PIPELINE_KILL_AT=NAME kills the
# pipeline there with SIGKILL (for the kill-and-rerun tests).
wn_step() {
	echo "$(date -u +%H:%M:%S) $prog: $1" >&2
	[ "${WINNOW_PIPELINE_KILL_AT:-}" != "$1" ] || kill -KILL $$
}

# wn_abs PATH: PATH made absolute (for commands run elsewhere).
wn_abs() {
	case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac
}

# wn_seed_pool INPUT SEED DIR: DIR/seed.tsv (the labeled rows of SEED) and
# DIR/pool.tsv (the rows of INPUT not in the seed, their labels blanked:
# the pool is treated as unlabeled), both with columns id, path, label.
wn_seed_pool() {
	wn_input "$2" "$3/seed.all.tsv"
	awk -F '\t' 'NR == 1 || $3 != ""' "$3/seed.all.tsv" >"$3/seed.tsv"
	rm -f "$3/seed.all.tsv"
	[ "$(wc -l <"$3/seed.tsv")" -gt 1 ] || wn_die 65 "$2: no labeled rows in the seed"
	wn_input "$1" "$3/input.tsv"
	wn_minus "$3/input.tsv" "$3/seed.tsv" |
	    awk -F '\t' -v OFS='\t' 'NR > 1 { $3 = "" } 1' >"$3/pool.tsv"
	rm -f "$3/input.tsv"
	[ "$(wc -l <"$3/pool.tsv")" -gt 1 ] || wn_die 65 "$1: no unlabeled images left once the seed is taken out"
}

# wn_grow SEED AUGMENTED ATTR [SKIP]: add the labeled rows of the labelers'
# augmented manifest AUGMENTED (label attribute ATTR) to SEED, rewritten
# atomically with columns id, path, label (as Ground Truth JSON Lines if SEED
# is *.jsonl or *.manifest).  Rows already in SEED are left as they are, and
# so are the rows whose id is a line of the file SKIP.
wn_grow() {
	wn_g=$(dirname "$1")/.grow.$$
	winnow-manifest from-jsonl --label-attribute "$3" "$2" >"$wn_g.back"
	wn_columns id path label <"$wn_g.back" | awk -F '\t' 'NR == 1 || $3 != ""' |
	    awk -F '\t' -v skip="${4:-/dev/null}" 'NR == 1 { while ((getline l <skip) > 0) s[l] }
		!($1 in s)' >"$wn_g.new"
	wn_input "$1" "$wn_g.seed"
	{
		cat "$wn_g.seed"
		wn_minus "$wn_g.new" "$wn_g.seed" | tail -n +2
	} >"$wn_g.grown"
	case $1 in
	*.jsonl | *.manifest) winnow-manifest to-jsonl "$wn_g.grown" >"$wn_g.out" ;;
	*) cp "$wn_g.grown" "$wn_g.out" ;;
	esac
	echo "seed: $(($(wc -l <"$wn_g.seed") - 1)) + $(($(wc -l <"$wn_g.grown") - $(wc -l <"$wn_g.seed"))) labeled rows"
	mv -f "$wn_g.out" "$1"
	rm -f "$wn_g.back" "$wn_g.new" "$wn_g.seed" "$wn_g.grown"
}

# wn_rounds FRACTION ROUNDS SEED LABELED SCORED OUT SELECT-OPTIONS...:
# multi-round selection, as a labeling team works.  The labeled seed
# LABELED is part of the selection (it is paid for): its rows found in
# SCORED are kept from round 1 on and count in the budget.  With N rows in
# SCORED, B = FRACTION * N (rounded, as winnow-select rounds -f) and K seed
# rows among them, round r keeps K + (B - K) * r / ROUNDS rows in all
# (rounded down; the last round exactly B), the rows of the earlier rounds
# among them (winnow-select --kept); between rounds the caller's wn_refit
# LABELED.TSV fits the surrogate on the seed and every row kept so far and
# rewrites SCORED.  OUT gets the last round's manifest.  Round r draws with
# seed SEED + 1000 (r - 1).  Exit 65 when the seed alone is over the budget.
wn_rounds() {
	wn_rf=$1 wn_rn=$2 wn_rs=$3 wn_rl=$4 wn_rsc=$5 wn_ro=$6
	shift 6
	wn_nbk=$(awk -F '\t' -v f="$wn_rf" '
	FNR == 1 { c = 0; for (i = 1; i <= NF; i++) if ($i == "id") c = i; next }
	NR == FNR { if (c) seed[$c]; next }
	{ n++; if (c && ($c in seed)) k++ }
	END { printf "%d %d %d\n", n, int(f * n + 0.5), k }' "$wn_rl" "$wn_rsc")
	read -r wn_rN wn_rB wn_rK <<EOF
$wn_nbk
EOF
	[ "$wn_rK" -le "$wn_rB" ] ||
		wn_die 65 "$wn_rl: the $wn_rK seed rows are more than the budget of $wn_rB rows ($wn_rf of $wn_rN)"
	cp "$wn_rl" "$wn_ro.kept"
	wn_r=1
	while :; do
		wn_n=$((wn_rK + (wn_rB - wn_rK) * wn_r / wn_rn))
		winnow-select -n "$wn_n" "$@" --seed "$((wn_rs + 1000 * (wn_r - 1)))" \
			--kept "$wn_ro.kept" "$wn_rsc" >"$wn_ro.next"
		mv -f "$wn_ro.next" "$wn_ro"
		[ "$wn_r" -ge "$wn_rn" ] && break
		cp "$wn_ro" "$wn_ro.kept"
		awk -F'\t' -v OFS='\t' 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i
				if (NR == 1) print "id", "label", "row"; next }
			!seen[$c["id"]]++ { print $c["id"], $c["label"], $c["row"] }' \
			"$wn_rl" "$wn_ro" >"$wn_ro.labeled"
		wn_refit "$wn_ro.labeled"
		wn_r=$((wn_r + 1))
	done
	rm -f "$wn_ro.kept" "$wn_ro.labeled"
}

# wn_dict DICT MANIFEST [LEARN-OPTIONS...]: the k-means dictionary of
# winnow-embed -m kmeans.  When DICT does not exist it is learned from
# MANIFEST's images (winnow-embed learn, whose -o DICT appears whole or not
# at all); when it does it is kept, so that later runs, nights and rounds
# embed with the same features (a new dictionary makes new features: the
# old embeddings and models would no longer match).
wn_dict() {
	[ -s "$1" ] && return 0
	wn_dd=$1 wn_dm=$2
	shift 2
	winnow-embed learn "$@" -o "$wn_dd" "$wn_dm"
}

# wn_dedup_wanted CONFIG: true when the pipelines drop near-duplicates:
# CONFIG has a dedup section (as the example configs do) or the pipeline
# key dedup is true, not when it is false.
wn_dedup_wanted() {
	case ${dedup:-} in
	'') grep -q '^dedup:' "$1" ;;
	true) ;;
	false) return 1 ;;
	*) wn_die 78 "$1: dedup: \"$dedup\" is not true or false" ;;
	esac
}

# wn_dedup_groups CONFIG EMB POOL DIR: winnow-dedup (the config's dedup
# section) over POOL, a manifest whose row column points into EMB:
# DIR/dedup.tsv, and DIR/dedup.dropped the ids (under a header "id") of
# the rows their group does not keep.
wn_dedup_groups() {
	winnow-dedup -c "$1" -o "$4/dedup.tsv" "$2" "$3"
	awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "dup_rank") r = i
		print "id"; next } $r != 0 { print $1 }' "$4/dedup.tsv" >"$4/dedup.dropped"
}

# wn_dedup CONFIG EMB POOL DIR: drop the near-duplicates of POOL before it
# is scored, when wn_dedup_wanted: DIR/dedup.tsv (wn_dedup_groups), and
# POOL rewritten with only the row each group keeps, its columns unchanged.
wn_dedup() {
	wn_dedup_wanted "$1" || return 0
	wn_dedup_groups "$@"
	wn_minus "$3" "$4/dedup.dropped" >"$3.tmp"
	mv -f "$3.tmp" "$3"
	rm -f "$4/dedup.dropped"
}

# wn_dedup_report DEDUP: the rows dropped as near-duplicates and the five
# largest groups (their kept id and size), for report.txt; nothing when
# DEDUP does not exist (dedup: false).
wn_dedup_report() {
	[ -e "$1" ] || return 0
	awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ n++; size[$c["dup_group"]]++; if ($c["dup_rank"] != 0) d++ }
	END { for (g in size) if (size[g] > 1) k++
		printf "near-duplicates: %d of %d rows dropped, %d groups kept one row each\n", d + 0, n, k + 0 }' "$1"
	awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ size[$c["dup_group"]]++ }
	END { for (g in size) if (size[g] > 1) print size[g] "\t" g }' "$1" |
	    sort -t "$tab" -k1,1nr -k2,2 | head -5 |
	    awk -F '\t' 'NR == 1 { print "largest groups (rows, kept id):" }
		{ printf "  %6d  %s\n", $1, $2 }'
}
