#!/bin/sh
# tests/bench/select-100m.sh - `make bench-100m`: 10^8 rows through
# winnow-select, one file (generated, about 2 GB, in $TMPDIR):
#   top -n 1000, random -n 1000 and biased -f 0.01 --reweight, unsharded:
#     wall s, Mrows/s, peak RSS, against `sort -g | head` (top) and
#     `shuf -n` (random) on the same file, in the same run;
#   the sharded path (4 shards: plan each, merge, apply each) for top and
#     biased: time and peak RSS of each step, the plans' sizes on disk, and
#     the kept rows compared with the unsharded run's (biased plans hold
#     the largest weights, 2 ceil(f n) + 1024 of a shard's n rows, not a
#     key a row).
# The duplicate-id check spills 8 bytes a row to $TMPDIR past 64 MiB
# (lib/idcheck.h); the file holds no duplicate, so every check runs to the
# end.  N=... for another size (N=1000000: a quick look); BIASED_ONLY=1
# for biased (unsharded and sharded) and shuf -n alone.
set -eu
n=${N:-100000000}
S=4
PATH=$(pwd)/bin:$PATH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/select-100m.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

now() { date +%s.%N; }
t0=$(now)
awk -v n="$n" 'BEGIN { srand(1); print "id\tlabel\tscore"
	for (i = 0; i < n; i++) printf "r%d\t%d\t%.6f\n", i, i % 10, rand() + 0.001 }' >"$tmp/m.tsv"
printf '# select-100m: %d rows (%s), generated in %.0f s, %s\n' "$n" "$(du -h "$tmp/m.tsv" | cut -f1)" \
    "$(echo "$(now) - $t0" | bc)" "$(date -u +%FT%TZ)"

# timed NAME CMD...: run CMD (stdout to $tmp/out), print wall, Mrows/s,
# peak RSS; sets $t to the wall seconds
timed() {
	name=$1
	shift
	t0=$(now)
	/usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/out"
	t=$(echo "$(now) - $t0" | bc)
	printf '%-44s %7.1f s %6.2f Mrows/s  peak %6d MB' "$name" "$t" \
	    "$(echo "$n / $t / 1000000" | bc -l)" "$(($(cat "$tmp/rss") / 1024))"
}
ratio() { printf '  %.2fx %s\n' "$(echo "$t / $1" | bc -l)" "$2"; }

# each winnow-select run, then its reference on the same file (the
# figures come as they are measured: at 10^8 rows on a busy machine the
# run is long; BIASED_ONLY=1 runs biased and shuf alone, sort -g taking
# the longest)
schemes="top -n 1000,biased -f 0.01 --reweight"
if [ "${BIASED_ONLY:-0}" != 1 ]; then
	timed "winnow-select -s top -n 1000" winnow-select -s top -n 1000 "$tmp/m.tsv"
	echo
	wt=$t
	cp "$tmp/out" "$tmp/top.tsv"
	timed "reference: cut -f3 | sort -g -r | head -1000" \
	    sh -c "cut -f3 '$tmp/m.tsv' | tail -n +2 | sort -g -r -S 25% | head -n 1000"
	printf '  top -n is %.2fx its time\n' "$(echo "$wt / $t" | bc -l)"
	rs=$t
	timed "winnow-select -s random -n 1000" winnow-select -s random -n 1000 "$tmp/m.tsv"
	echo
	wt=$t
else
	schemes="biased -f 0.01 --reweight"
fi
timed "reference: shuf -n 1000" shuf -n 1000 "$tmp/m.tsv"
[ "${BIASED_ONLY:-0}" = 1 ] && echo || printf '  random -n is %.2fx its time\n' "$(echo "$wt / $t" | bc -l)"
ss=$t
timed "winnow-select -s biased -f 0.01 --reweight" \
    winnow-select -s biased -f 0.01 --reweight "$tmp/m.tsv"
[ "${BIASED_ONLY:-0}" = 1 ] || printf '  %.2fx sort -g | head,' "$(echo "$t / $rs" | bc -l)"
printf '  %.2fx shuf -n; kept %d rows\n' "$(echo "$t / $ss" | bc -l)" $(($(wc -l <"$tmp/out") - 1))
cp "$tmp/out" "$tmp/biased.tsv"

# the sharded path: S shards of whole lines, each with the header
awk -v n="$n" -v S="$S" -v d="$tmp" 'NR == 1 { for (i = 0; i < S; i++) print >(d "/shard-" i ".tsv"); next }
	{ print >(d "/shard-" int((NR - 2) * S / n) ".tsv") }' "$tmp/m.tsv"
rm -f "$tmp/m.tsv"
IFS=,
for s in $schemes; do
	unset IFS
	tag=${s%% *}
	i=0 tp=0 mp=0
	set --
	while [ $i -lt $S ]; do
		# shellcheck disable=SC2086 # the scheme's options are words
		/usr/bin/time -f '%e %M' -o "$tmp/rss" winnow-select plan -s $s -o "$tmp/$tag-$i.plan" "$tmp/shard-$i.tsv"
		read -r e m <"$tmp/rss"
		tp=$(echo "$tp + $e" | bc) mp=$((m > mp ? m : mp))
		set -- "$@" "$tmp/$tag-$i.plan"
		i=$((i + 1))
	done
	psize=$(cat "$@" | wc -c)
	/usr/bin/time -f '%e %M' -o "$tmp/rss" winnow-select plan --merge -o "$tmp/$tag.plan" "$@"
	read -r em mm <"$tmp/rss"
	i=0 ta=0 ma=0
	while [ $i -lt $S ]; do
		/usr/bin/time -f '%e %M' -o "$tmp/rss" winnow-select apply --plan "$tmp/$tag.plan" \
		    "$tmp/shard-$i.tsv" >"$tmp/$tag-$i.sel"
		read -r e m <"$tmp/rss"
		ta=$(echo "$ta + $e" | bc) ma=$((m > ma ? m : ma))
		i=$((i + 1))
	done
	{ head -n 1 "$tmp/$tag-0.sel"; for i in $(seq 0 $((S - 1))); do tail -n +2 "$tmp/$tag-$i.sel"; done; } >"$tmp/$tag.sharded"
	same=yes
	cmp -s "$tmp/$tag.sharded" "$tmp/$tag.tsv" || same=NO
	printf 'sharded %-26s plan %6.1f s (peak %5d MB), plans %s (%.1f bytes a row), merged %s; merge %5.1f s (peak %5d MB); apply %6.1f s (peak %5d MB); == unsharded: %s\n' \
	    "$s" "$tp" $((mp / 1024)) "$(echo "$psize" | awk '{ printf "%.1f MB", $1 / 1e6 }')" \
	    "$(echo "$psize / $n" | bc -l)" "$(wc -c <"$tmp/$tag.plan" | awk '{ printf "%.1f MB", $1 / 1e6 }')" \
	    "$em" $((mm / 1024)) "$ta" $((ma / 1024)) "$same"
	rm -f "$tmp/$tag"-*.plan "$tmp/$tag.plan" "$tmp/$tag"-*.sel
	IFS=,
done
unset IFS
