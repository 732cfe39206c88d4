#!/usr/bin/env bash
# Sampling benchmarks (numbers, not pass/fail). Needs `make bench` and the test targets:
#   make bench && bench/run.sh [BUILD_DIR]
#
# 1. Agent cost: CPU time of one sampling tick (runtime variables + walk of all goroutines)
#    against targets with 100, 10k and 100k parked goroutines.
# 2. Target cost: throughput of a CPU+allocation loop in one run of the target, alternating
#    phases without goscope, with sampling at 1 Hz and at 10 Hz; reported as ratios.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
manyg="$build/targets/manyg"
bench="$build/bench/sampler_bench"
[ -x "$manyg" ] && [ -x "$bench" ] || { echo "run: build first: make bench && tests/build-targets.sh $build" >&2; exit 1; }

start_manyg() {
	coproc MANYG { exec "$manyg" "$@"; }
	read -r line <&"${MANYG[0]}"
	case $line in *ready) ;; *) echo "manyg did not start: $line" >&2; exit 1 ;; esac
}

stop_manyg() { kill "$MANYG_PID" 2>/dev/null; wait "$MANYG_PID" 2>/dev/null || true; }

echo "== agent CPU per sampling tick (10 Hz for 5 s)"
for n in 100 10000 100000; do
	start_manyg -n "$n"
	"$bench" "$MANYG_PID" 10 5
	stop_manyg
done

# Average of the "ops N" lines manyg prints over the next $1 seconds.
ops_over() {
	local secs=$1 sum=0 cnt=0 line
	for ((i = 0; i < secs; i++)); do
		read -r line <&"${MANYG[0]}"
		sum=$((sum + ${line#ops }))
		cnt=$((cnt + 1))
	done
	echo $((sum / cnt))
}

echo "== target throughput with sampling (manyg -n 10000 -work, one run, 8 s phases)"
start_manyg -n 10000 -work
ops_over 2 >/dev/null	# warm-up
base1=$(ops_over 8)
"$bench" "$MANYG_PID" 1 8 >/dev/null & b=$!; hz1=$(ops_over 8); wait $b
base2=$(ops_over 8)
"$bench" "$MANYG_PID" 10 8 >/dev/null & b=$!; hz10=$(ops_over 8); wait $b
base3=$(ops_over 8)
stop_manyg
base=$(( (base1 + base2 + base3) / 3 ))
awk -v b="$base" -v a="$hz1" -v c="$hz10" -v b1="$base1" -v b2="$base2" -v b3="$base3" 'BEGIN {
	printf "baseline ops/s %d (phases %d %d %d)\n", b, b1, b2, b3
	printf "sampling 1 Hz:  ops/s %d  ratio %.3f\n", a, a / b
	printf "sampling 10 Hz: ops/s %d  ratio %.3f\n", c, c / b
}'
