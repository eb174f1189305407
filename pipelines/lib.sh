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
# faiss's OpenMP threads spin too, between its batches of queries, while
# winnow-dedup's own part of each batch runs: passive waiting took 15-18%
# off its CPU at 200,000 x 64 through IVF1024,Flat (same output).  libgomp
# reads this when it loads, so a program cannot set it for itself.
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
export OMP_WAIT_POLICY
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
		embed)
			# both embeddings (dedup-embed: the one the near-duplicates
			# are found on), and the k-means learn options of each
			for s in embed dedup-embed; do
				winnow-embed --section $s -c "$wn_cf" -h >/dev/null &&
				    winnow-embed learn --section $s -c "$wn_cf" -h >/dev/null || exit
			done ;;
		*) "winnow-$p" -c "$wn_cf" -h >/dev/null ;;
		esac || exit
	done
	wn_kv=$(awk -v prog="$prog" -v file="$wn_cf" -v keys="$wn_keys" \
	    -v sections=" manifest embed dedup-embed dedup fit score select train pipeline ${wn_sections:-} " '
	function fail(col, msg) {
		printf "%s: %s:%d:%d: %s\n", prog, file, NR, col, msg >"/dev/stderr"
		bad = 1
		exit 78
	}
	# the program keys the pipelines need to know (the only ones read
	# here): the batch (sharded), method and dictionary of each embedding, the
	# score method (sharded)
	function known(sec, k, v) {
		sub(/^[ \t]+/, "", k)
		sub(/[ \t]+$/, "", k)
		sub(/^[ \t]+/, "", v)
		sub(/[ \t]*(#.*)?$/, "", v)
		if (v ~ /^"/ || v ~ /^\047/)
			v = substr(v, 2, length(v) - 2)
		if (((sec == "embed" || sec == "dedup-embed") && (k == "batch" || k == "method" || k == "dict")) ||
		    (sec == "score" && k == "method"))
			print sec "_" k "\t" v
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
		# a section in flow style, "embed: {method: kmeans, dict: d}"
		if (v ~ /^\{.*\}[ \t]*(#.*)?$/) {
			sub(/^\{/, "", v)
			sub(/\}[ \t]*(#.*)?$/, "", v)
			n = split(v, kv, ",")
			for (i = 1; i <= n; i++)
				if ((j = index(kv[i], ":")) > 0)
					known(sec, substr(kv[i], 1, j - 1), substr(kv[i], j + 1))
		}
		next
	}
	!insec && /^[ \t]+[A-Za-z0-9_-]+:/ {
		j = index($0, ":")
		known(sec, substr($0, 1, j - 1), substr($0, j + 1))
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
	# -m kmeans embeds with a dictionary: the file the pipelines learn
	# when it is missing and keep when it is there (wn_learn_dicts)
	for wn_s in embed dedup-embed; do
		eval "wn_m=\${$(echo "$wn_s" | tr - _)_method:-} wn_d=\${$(echo "$wn_s" | tr - _)_dict:-}"
		[ "$wn_m" != kmeans ] || [ -n "$wn_d" ] ||
			wn_die 78 "$wn_cf: $wn_s: method kmeans needs the key dict (the dictionary's file: learned from the images when it does not exist, kept as it is when it does)"
	done
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

# wn_learn_dicts CONFIG LEARN-OPTIONS MANIFEST...: the k-means
# dictionaries the config's embeddings need (section embed, and
# dedup-embed when the pipeline deduplicates on it, with method kmeans):
# each one whose dict file does not exist is learned (winnow-embed learn
# --section S -c CONFIG LEARN-OPTIONS, the options one string of words,
# "" for none) from the images of the MANIFESTs (their id and path, put
# together under one header beside the first one only when a dictionary is
# learned: learn orders the images by the hash of their ids, so their
# order here does not matter); one that exists is kept as it is, so that
# every later run, night and shard embeds with the same features.  Delete
# the file to learn a new one (after changing centroids, patch or size,
# say).
wn_learn_dicts() {
	wn_lc=$1 wn_lo=$2
	shift 2
	wn_li=$(dirname "$1")/learn-images.tsv
	rm -f "$wn_li"
	for wn_ls in embed dedup-embed; do
		eval "wn_lm=\${$(echo "$wn_ls" | tr - _)_method:-} wn_ld=\${$(echo "$wn_ls" | tr - _)_dict:-}"
		[ "$wn_lm" = kmeans ] && [ ! -s "$wn_ld" ] || continue
		[ "$wn_ls" = embed ] || wn_dedup_embed_wanted "$wn_lc" || continue
		if [ ! -e "$wn_li" ]; then
			wn_columns id path <"$1" >"$wn_li"
			wn_lh=1
			for wn_lf in "$@"; do
				[ -n "$wn_lh" ] || wn_columns id path <"$wn_lf" | tail -n +2 >>"$wn_li"
				wn_lh=
			done
		fi
		mkdir -p "$(dirname "$wn_ld")"
		# shellcheck disable=SC2086 # options are words
		winnow-embed learn $wn_lo --section "$wn_ls" -c "$wn_lc" -o "$wn_ld" "$wn_li"
	done
	rm -f "$wn_li"
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

# wn_dedup_embed_wanted CONFIG: true when the near-duplicates are found
# on an embedding of their own: wn_dedup_wanted, and CONFIG has a
# dedup-embed section (winnow-embed's options, read with --section
# dedup-embed).  Without one they are found on the selection's embedding.
wn_dedup_embed_wanted() {
	wn_dedup_wanted "$1" && grep -q '^dedup-embed:' "$1"
}

# wn_unit CONFIG: the rows of the pool a shard keeps whole (sharded): a
# multiple of every embedding's batch, since winnow-embed's random output
# for a row can differ in the last bits with its place in its batch (one
# BLAS product per batch).  A batch is 256 rows unless the config says.
wn_unit() {
	wn_ua=${embed_batch:-256} wn_ub=${dedup_embed_batch:-256}
	if wn_dedup_embed_wanted "$1"; then
		wn_x=$wn_ua wn_y=$wn_ub
		while [ "$wn_y" -ne 0 ]; do
			wn_t=$((wn_x % wn_y)) wn_x=$wn_y wn_y=$wn_t
		done
		echo $((wn_ua / wn_x * wn_ub))
	else
		echo "$wn_ua"
	fi
}

# wn_dedup_embed CONFIG ROWS OUT.npy: the dedup-embed embedding of the
# images of ROWS, a manifest whose row column numbers its lines 0, 1, ...
# (as winnow-embed writes it), into OUT.npy, atomically: its row r is the
# image of ROWS's row r, so ROWS pairs with it as with its own embeddings.
# One more embedding pass over those images.  Exit 65 when an image that
# was embedded before could not be embedded again.
wn_dedup_embed() {
	awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "row") r = i; next }
		!r || $r != NR - 2 { exit 1 }' "$2" ||
		wn_die 70 "$2: its row column does not number the lines 0, 1, ..."
	wn_columns id path <"$2" >"$3.in.tsv"
	winnow-embed --section dedup-embed -c "$1" -o "$3" "$3.in.tsv" >"$3.rows.tsv"
	[ "$(wc -l <"$3.rows.tsv")" -eq "$(wc -l <"$2")" ] || {
		rm -f "$3" "$3.in.tsv" "$3.rows.tsv"
		wn_die 65 "$2: some images could not be embedded again for dedup-embed (see above)"
	}
	rm -f "$3.in.tsv" "$3.rows.tsv"
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
