#!/usr/bin/env bash
# run.sh [SECONDS]
#
# Fuzzes goscope's Go binary readers (user/gobin) with libFuzzer: builds fuzz_pclntab,
# fuzz_buildinfo and fuzz_elf with clang (-fsanitize=fuzzer,address,undefined) into
# $GOSCOPE_BUILD/fuzz (default build/fuzz), seeds them with small synthetic Go binaries and a
# few real matrix builds (tests/fuzz/make_seeds.py) and the committed hostile files of
# tests/fuzz/corpus-hostile/ (make_hostile.py; libFuzzer adds new inputs to the first corpus
# directory only, so the committed files never change), and runs each
# for SECONDS (default 20). Exits non-zero on any crash, leak, timeout or sanitizer report; the
# input that triggered it is kept as $OUT/artifacts/NAME-crash-*.
#
# Environment: CLANG (default clang), FUZZERS (default: all three), FUZZ_ARGS (extra libFuzzer
# flags, e.g. "-jobs=2").
set -euo pipefail

secs=${1:-20}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${GOSCOPE_BUILD:-$repo/build}
out=$build/fuzz
clang=${CLANG:-clang}
fuzzers=${FUZZERS:-"fuzz_pclntab fuzz_buildinfo fuzz_elf"}

mkdir -p "$out/obj" "$out/artifacts" "$out/logs"

# The readers (user/gobin/*.c) and the error helpers they use (user/util/log.c), with the Makefile's
# include paths.
# shellcheck disable=SC2054 # the commas belong to -fsanitize's value
cflags=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
	-fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE
	-Iinclude -Iuser "-I$build/bpf")
libs=(-lbpf -lelf -ldw -lz -lcapstone)
cd "$repo"
srcs=(user/gobin/*.c user/util/log.c)

cd "$repo"
for f in $fuzzers; do
	echo "fuzz: building $out/$f"
	"$clang" "${cflags[@]}" -Itests/fuzz "tests/fuzz/$f.c" "${srcs[@]}" "${libs[@]}" \
		-o "$out/$f"
done

# Seeds: synthetic binaries, plus the smallest real build of each kind that is present.
seeds=$out/seeds
rm -rf "$seeds"
real=()
for p in go1.19/default go1.27/stripped go1.24/pie go1.26/cgo; do
	[ -f "$build/targets/$p/churn" ] && real+=("$build/targets/$p/churn")
done
python3 "$here/make_seeds.py" "$seeds" ${real[@]+"${real[@]}"}

rc=0
for f in $fuzzers; do
	corpus=$out/corpus/$f
	log=$out/logs/$f.log
	mkdir -p "$corpus"
	echo "fuzz: running $f for ${secs}s (corpus $corpus)"
	# A hang is a bug as much as a crash: -timeout makes one input taking 10 s fail the run.
	# ASan's leak check stays on; libFuzzer's malloc limit (the RSS limit, 2 GB) makes an
	# allocation sized by a corrupt length field fail too.
	set +e
	# shellcheck disable=SC2086 # FUZZ_ARGS holds several flags
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$out/$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$f-" ${FUZZ_ARGS:-} "$corpus" "$seeds" \
		"$here/corpus-hostile" >"$log" 2>&1
	status=$?
	set -e
	stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb):' "$log" |
		sed 's/^stat:://' | tr '\n' ' ')
	bad='ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:'
	if [ "$status" -ne 0 ] || grep -qE "$bad" "$log"; then
		echo "fuzz: FAILED: $f (exit $status); see $log" >&2
		grep -E 'ERROR:|runtime error:|SUMMARY:|Test unit written|^    #[0-9]+ ' "$log" | head -40 >&2
		rc=1
	else
		echo "fuzz: $f ok: $stats"
	fi
done
exit $rc
