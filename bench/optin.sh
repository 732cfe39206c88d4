#!/usr/bin/env bash
# Opt-in probe benchmark (numbers, not pass/fail): what `--allocs` and `--goroutines` cost a target.
#   make -j2 all && tests/build-targets.sh build && bench/optin.sh [BUILD_DIR]
#
# One run of tests/targets/lifecycle (Go 1.27, default build), driven on stdin, about 3 minutes, root.
# Phases, each on the same process:
#   none       no goscope: alloc for 5 s (five `alloc 1`), churn for 5 s (five `churn 1`), and
#              three `churn 0.3` bursts
#   gc         `goscope record PID`: the GC probes only, over the same churn, then alloc
#   allocs100  `goscope profile --allocs --budget 100` over the 5 s of alloc (breaker off in effect)
#   allocs     `goscope profile --allocs` (default budget, 1 % of a CPU: the breaker trips)
#   gor100     `goscope profile --goroutines --budget 100` over the 5 s of churn
#   gor        `goscope profile --goroutines` (default budget)
#   burst      `goscope profile --goroutines --budget 100` over three `churn 0.3` bursts 1.1 s
#              apart: over any second of the breaker's window they cost well under one CPU, so the
#              probes stay attached whatever the hit cost (an unpaced churn can cost more than one
#              CPU, past what --budget can allow)
# Order: none, then REPS times (gc, allocs100, allocs, gor100, gor, burst, none). Every with-phase
# is compared with the mean of the none phases before and after its repetition; the median of the
# REPS ratios (with/without) is reported. The 5 s loops are sent as five 1 s commands so the
# throughput of each second shows: when the breaker trips, and whether the target recovers.
#
# Per-hit cost with the breaker off (allocs100, burst): hits as goscope counts them (profile's
# samples; goroutines created + exited), and
#   wall µs/hit = (time the loop ran - time the same work took without goscope) / hits
# where the loop runs on the main goroutine, the workload's one busy thread; and
#   CPU µs/hit  = (workload CPU time - CPU time the same work took without goscope) / hits
# (all its threads, from schedstat: a goroutine's exit is hit on the thread that ran it, maybe
# in parallel with the next creation). For allocs, "without" is both no goscope and the GC
# probes only (the gc phase's alloc loop just before): profile attaches the GC probes too, and
# at ~800 GC/s they are not free. Both include goscope's own user-space work competing for the
# CPUs (its CPU is printed). Next to them, the cost goscope measured itself when attaching
# ("about X µs each"). Each loop also records the machine's idle time and steal, overall and per
# second with the workload's CPU: on a shared 2-CPU machine other people's processes are most of
# the noise, and this tells a slow second they caused from one goscope caused.
set -euo pipefail
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "optin: no build directory ${1:-build}: make -j2 all" >&2; exit 1; }
src_goscope="$build/goscope"
src_lc="$build/targets/go1.27/default/lifecycle"
[ -x "$src_goscope" ] || { echo "optin: $src_goscope is missing: make -j2 all" >&2; exit 1; }
[ -x "$src_lc" ] || { echo "optin: $src_lc is missing: tests/build-targets.sh build" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "optin: needs root (the probes)" >&2; exit 1; }

REPS=${REPS:-3}
SECS=5			# seconds per alloc / churn loop, one command per second
BURSTS=3		# churn bursts per burst phase
BURST=0.3		# seconds per burst
GAP=1.1			# idle seconds after each burst
hz=$(getconf CLK_TCK)
tmp=$(mktemp -d)
data="$tmp/data"	# one line per measurement: REP PHASE WHAT VALUES...
: >"$data"
# Private copies: the other engineers' rebuilds during the run change nothing here.
cp "$src_goscope" "$tmp/goscope"
cp "$src_lc" "$tmp/lifecycle"
goscope="$tmp/goscope"

lc_pid=
gs_pid=
gs_name=
cleanup() {
	local i
	if [ -n "$gs_pid" ]; then
		kill -INT "$gs_pid" 2>/dev/null || true	# goscope detaches its probes on SIGINT
		for ((i = 0; i < 100; i++)); do kill -0 "$gs_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$gs_pid" 2>/dev/null || true
	fi
	[ -n "$lc_pid" ] && kill "$lc_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM	# exit runs the EXIT trap, so Ctrl-C cleans up too

die() { echo "optin: $*" >&2; exit 1; }
now_ns() { date +%s%N; }
# CPU in clock ticks (utime+stime of all threads, dead ones included): fields 14 and 15 of
# /proc/PID/stat, counted after the ")" that ends the command name.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# The workload's CPU time in ns, exact: the sum over its threads of the time on a CPU
# (/proc/PID/task/*/schedstat; Go threads do not exit here). Ticks are too coarse for ~1 s.
cpu_ns() { cat "/proc/$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
put() { echo "$*" >>"$data"; }

# What else ran meanwhile: the machine's idle time and the time the hypervisor stole (/proc/stat),
# in % of one CPU. On 2 CPUs the workload alone leaves about half a CPU idle; less means other
# people's processes took it. (Busy time less the workload's cannot be
# told apart that finely: /proc/stat's ticks and the workload's own CPU time differ by ~10 %.)
machine() { awk '/^cpu / { print $5, $9 }' /proc/stat; }
block_begin() {
	read -r m_idle0 m_steal0 < <(machine)
	m_cpu0=$(cpu_ns "$lc_pid")
	m_t0=$(now_ns)
}
# block_end REP PHASE WHAT: the workload's CPU ns, the machine's idle and steal.
block_end() {
	local i1 s1 c1 t1
	read -r i1 s1 < <(machine)
	c1=$(cpu_ns "$lc_pid")
	t1=$(now_ns)
	put "$1 $2 $3_cpu $((c1 - m_cpu0))"
	put "$1 $2 $3_idle $(awk -v i="$((i1 - m_idle0))" -v s="$((s1 - m_steal0))" -v t="$((t1 - m_t0))" -v hz="$hz" \
		'BEGIN { w = t / 1e9; printf "%.0f %.0f", 100 * i / hz / w, 100 * s / hz / w }')"
}
# Per command (second): the machine's idle and the workload's CPU, in % of one CPU.
sec_begin() { read -r p_idle0 _ < <(machine); p_cpu0=$(cpu_ns "$lc_pid"); p_t0=$(now_ns); }
sec_end() {
	local i1 c1 t1
	read -r i1 _ < <(machine)
	c1=$(cpu_ns "$lc_pid")
	t1=$(now_ns)
	ps_idle+=("$(((i1 - p_idle0) * 100 * 1000000000 / hz / (t1 - p_t0)))")
	ps_cpu+=("$(((c1 - p_cpu0) * 100 / (t1 - p_t0)))")
}

# ---- the workload: one line per command, one line per answer ----
coproc LC { exec "$tmp/lifecycle" 2>"$tmp/lifecycle.err"; }
lc_pid=$LC_PID
exec {lc_in}>&"${LC[1]}" {lc_out}<&"${LC[0]}"
reply=
# cmd NAME ARGS...: send one command, wait for its "ok NAME ..." line (in $reply).
cmd() {
	printf '%s\n' "$*" >&"$lc_in" 2>/dev/null || die "lifecycle is gone ($*): $(tail -n 3 "$tmp/lifecycle.err")"
	IFS= read -r -t 60 reply <&"$lc_out" || die "lifecycle did not answer '$*': $(tail -n 3 "$tmp/lifecycle.err")"
	case $reply in "ok $1"*) ;; *) die "lifecycle: '$*' answered: $reply" ;; esac
}
IFS= read -r -t 10 reply <&"$lc_out" || die "lifecycle did not start"
case $reply in "ready "*) ;; *) die "lifecycle: $reply" ;; esac

# ---- goscope sessions ----
# gs_start NAME ARGS...: start goscope ARGS... PID, wait until its probes are attached.
gs_start() {
	local t0 deadline
	gs_name=$1
	shift
	t0=$(now_ns)
	"$goscope" "$@" "$lc_pid" >"$tmp/$gs_name.out" 2>"$tmp/$gs_name.err" &
	gs_pid=$!
	deadline=$((SECONDS + 15))
	# profile says "profiling PID ..." once attached; record writes the attach record.
	until grep -q 'profiling PID' "$tmp/$gs_name.err" || grep -q '"kind":"attach"' "$tmp/$gs_name.out"; do
		kill -0 "$gs_pid" 2>/dev/null || { wait "$gs_pid" || true; die "goscope $* exited before attaching: $(tail -n 5 "$tmp/$gs_name.err")"; }
		((SECONDS < deadline)) || die "goscope $* did not attach in 15 s"
		sleep 0.02
	done
	gs_attach_ms=$((($(now_ns) - t0) / 1000000))
	if grep -q '"probed":false' "$tmp/$gs_name.out"; then
		echo "!! $gs_name: goscope record attached without the GC probes: $(grep -o '"probe_note":"[^"]*"' "$tmp/$gs_name.out" | head -n 1)"
	fi
	gs_cpu0=$(cpu_ticks "$gs_pid")
	gs_t0=$(now_ns)
}

# gs_stop REP PHASE: Ctrl-C, wait for the detach; goscope's CPU and exit status.
gs_stop() {
	local r=$1 ph=$2 c1 t1 q0 st=0 i
	c1=$(cpu_ticks "$gs_pid")
	t1=$(now_ns)
	q0=$(now_ns)
	kill -INT "$gs_pid"
	for ((i = 0; i < 150; i++)); do kill -0 "$gs_pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$gs_pid" 2>/dev/null; then
		echo "!! $ph: goscope did not exit 7.5 s after SIGINT; killed"
		kill -KILL "$gs_pid"
	fi
	wait "$gs_pid" || st=$?
	put "$r $ph gs $((c1 - gs_cpu0)) $(((t1 - gs_t0) / 1000000)) $gs_attach_ms $((($(now_ns) - q0) / 1000000)) $st"
	[ "$st" -eq 0 ] || { echo "!! $ph (rep $r): goscope exited with status $st; stderr:"; tail -n 5 "$tmp/$gs_name.err" | sed 's/^/!!   /'; }
	gs_pid=
	kill -0 "$lc_pid" 2>/dev/null || die "the workload is gone after $ph: $(tail -n 5 "$tmp/lifecycle.err")"
}

# Whether the running goscope has said its breaker detached probes (the loops note the second).
trip_seen() { [ -n "$gs_pid" ] && grep -q 'circuit breaker' "$tmp/$gs_name.err" 2>/dev/null; }

# ---- workload loops ----
# run_alloc REP PHASE: SECS x `alloc 1`; bytes/s per second, target CPU, breaker second.
run_alloc() {
	local r=$1 ph=$2 i v=() trip=0
	ps_idle=() ps_cpu=()
	block_begin
	for ((i = 1; i <= SECS; i++)); do
		sec_begin
		cmd alloc 1
		sec_end
		v+=("$(awk '{ split($3, a, "="); split($4, b, "="); printf "%.0f", a[2] + b[2] }' <<<"$reply")")
		[ "$trip" -eq 0 ] && trip_seen && trip=$i
	done
	put "$r $ph alloc ${v[*]}"
	block_end "$r" "$ph" alloc
	put "$r $ph alloc_ps_idle ${ps_idle[*]}"
	put "$r $ph alloc_ps_cpu ${ps_cpu[*]}"
	put "$r $ph alloc_trip $trip"
}

# run_churn REP PHASE: SECS x `churn 1`; goroutines and seconds per command.
run_churn() {
	local r=$1 ph=$2 i v=() trip=0
	ps_idle=() ps_cpu=()
	block_begin
	for ((i = 1; i <= SECS; i++)); do
		sec_begin
		cmd churn 1
		sec_end
		v+=("$(sed 's/.*goroutines=\([0-9]*\) per_sec=\([0-9.]*\).*/\1:\2/' <<<"$reply")")
		[ "$trip" -eq 0 ] && trip_seen && trip=$i
	done
	put "$r $ph churn ${v[*]}"
	block_end "$r" "$ph" churn
	put "$r $ph churn_ps_idle ${ps_idle[*]}"
	put "$r $ph churn_ps_cpu ${ps_cpu[*]}"
	put "$r $ph churn_trip $trip"
}

# run_bursts REP PHASE GAP: BURSTS x `churn BURST`, GAP seconds apart.
run_bursts() {
	local r=$1 ph=$2 gap=$3 i v=() trip=0
	block_begin
	for ((i = 1; i <= BURSTS; i++)); do
		cmd churn "$BURST"
		v+=("$(sed 's/.*goroutines=\([0-9]*\) per_sec=\([0-9.]*\).*/\1:\2/' <<<"$reply")")
		[ "$trip" -eq 0 ] && trip_seen && trip=$i
		[ "$gap" = 0 ] || sleep "$gap"
	done
	put "$r $ph burst ${v[*]}"
	block_end "$r" "$ph" burst
	put "$r $ph burst_trip $trip"
}

# goscope's own figure for one hit, from its attach message, in µs.
says_allocs() { sed -n 's/.*sampling attached:.* about \([0-9.]*\) [^ ]* each.*/\1/p' "$tmp/$gs_name.err" | head -n 1; }
says_gor() { sed -n 's/.*created and ended costs it about \([0-9.]*\) .*/\1/p' "$tmp/$gs_name.err" | awk 'NR == 1 { print $1 / 2 }'; }
# Hits goscope counted: allocation samples, goroutines created + exited while watched.
hits_allocs() { sed -n 's/.*estimated from \([0-9]*\) samples.*/\1/p' "$tmp/$gs_name.out" | head -n 1; }
hits_gor() { sed -n 's/.*(\([0-9]*\) created and \([0-9]*\) exited while watched).*/\1 \2/p' "$tmp/$gs_name.out" | awk 'NR == 1 { print $1 + $2 }'; }
gc_lines() { grep -c '"kind":"gc"' "$tmp/$gs_name.out" || true; }

none_phase() {
	run_alloc "$1" none
	run_churn "$1" none
	run_bursts "$1" none 0
	echo "   none $1 done ($SECONDS s)"
}

echo "== bench/optin.sh: $(nproc) CPUs, Linux $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   workload: lifecycle $(sed 's/^ready //' <<<"$reply") (copy of $src_lc)"
echo "   goscope: $("$goscope" --version 2>&1 | head -n 1)"
cmd alloc 1	# warm-up: heap and threads
cmd churn 1
none_phase 0
for ((r = 1; r <= REPS; r++)); do
	# churn first: its alloc loop then runs right before allocs100's, the opt-in probe's
	# comparison without the opt-in probe (profile attaches the GC probes too)
	gs_start gc record
	run_churn "$r" gc
	g1=$(gc_lines)
	run_alloc "$r" gc
	put "$r gc gcs $(($(gc_lines) - g1)) $g1"
	gs_stop "$r" gc

	gs_start allocs100 profile --allocs --budget 100
	run_alloc "$r" allocs100
	gs_stop "$r" allocs100
	put "$r allocs100 hits $(hits_allocs) $(says_allocs)"

	gs_start allocs profile --allocs
	run_alloc "$r" allocs
	gs_stop "$r" allocs
	put "$r allocs hits $(hits_allocs) $(says_allocs)"

	gs_start gor100 profile --goroutines --budget 100
	run_churn "$r" gor100
	gs_stop "$r" gor100
	put "$r gor100 hits $(hits_gor) $(says_gor)"

	gs_start gor profile --goroutines
	run_churn "$r" gor
	gs_stop "$r" gor
	put "$r gor hits $(hits_gor) $(says_gor)"

	gs_start burst profile --goroutines --budget 100
	sleep 1.3	# the breaker's first points span less than a second: let its window fill
	run_bursts "$r" burst "$GAP"
	gs_stop "$r" burst
	put "$r burst hits $(hits_gor) $(says_gor)"

	echo "   rep $r done ($SECONDS s)"
	none_phase "$r"
done

echo
echo "== raw numbers (alloc: bytes/s per 1 s command; churn: goroutines:per_sec per command;"
echo "   _cpu: workload CPU ns; _idle: machine idle, steal (% of one CPU); _ps_idle, _ps_cpu: per command,"
echo "   machine idle and workload CPU (% of one CPU); gs: goscope CPU ticks, ms attached, ms to attach,"
echo "   ms to exit, status; hits: goscope's count, its µs per hit; gcs: gc records in alloc, churn)"
sed 's/^/   /' "$data"
echo

awk -v reps="$REPS" -v secs="$SECS" -v hz="$hz" '
function med(a, n,   i, j, t, b) {	# median of a[1..n]
	if (n == 0) return "nan"
	for (i = 1; i <= n; i++) b[i] = a[i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && b[j - 1] > b[j]; j--) { t = b[j]; b[j] = b[j - 1]; b[j - 1] = t }
	return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
}
function list(a,   r, o) { o = ""; for (r = 1; r <= reps; r++) o = o sprintf("%s%.1f", (r > 1 ? " " : ""), a[r]); return o }
function sum(s,   n, v, i, t) { n = split(s, v, " "); t = 0; for (i = 1; i <= n; i++) t += v[i]; return t }
# churn values "n:rate": total goroutines and total seconds
function gsum(s,   n, v, i, p) { G = 0; T = 0; n = split(s, v, " "); for (i = 1; i <= n; i++) { split(v[i], p, ":"); G += p[1]; T += p[1] / p[2] } }
function fmtrate(x, unit) {
	if (unit == "B") return sprintf("%.2f GB/s", x / 1e9)
	return x >= 1e6 ? sprintf("%.2f M/s", x / 1e6) : sprintf("%.1f k/s", x / 1e3)
}
{ key = $1 " " $2 " " $3; $1 = $1; line = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ ?/, "", line); d[key] = line }
END {
	# Baselines: per none phase, throughput of the alloc and churn loops, and per second.
	for (r = 0; r <= reps; r++) {
		nb[r, "alloc"] = sum(d[r " none alloc"]) / secs
		gsum(d[r " none churn"]); nb[r, "churn"] = G / T
		gsum(d[r " none burst"]); nb[r, "burst"] = G / T
		nb[r, "alloc_cpu"] = d[r " none alloc_cpu"] / 1e9 / (nb[r, "alloc"] * secs)	# CPU s per byte
		nb[r, "burst_cpu"] = d[r " none burst_cpu"] / 1e9 / G			# CPU s per goroutine
	}
	printf "baseline (no goscope), per none phase: alloc"
	for (r = 0; r <= reps; r++) printf " %s", fmtrate(nb[r, "alloc"], "B")
	printf "; churn"
	for (r = 0; r <= reps; r++) printf " %s", fmtrate(nb[r, "churn"], "G")
	printf "; bursts"
	for (r = 0; r <= reps; r++) printf " %s", fmtrate(nb[r, "burst"], "G")
	printf "\n"
	printf "machine idle (%% of one CPU; steal in brackets), none phases: alloc"
	for (r = 0; r <= reps; r++) { split(d[r " none alloc_idle"], L, " "); printf " %d (%d)", L[1], L[2] }
	printf "; churn"
	for (r = 0; r <= reps; r++) { split(d[r " none churn_idle"], L, " "); printf " %d (%d)", L[1], L[2] }
	printf "\n\n"

	# ---- 1. per-hit cost, breaker off ----
	for (r = 1; r <= reps; r++) {
		base = (nb[r - 1, "alloc"] + nb[r, "alloc"]) / 2
		gcbase = sum(d[r " gc alloc"]) / secs	# the GC probes only, just before
		bytes = sum(d[r " allocs100 alloc"])
		split(d[r " allocs100 hits"], h, " ")
		ah[r] = h[1] / secs; as[r] = h[2]
		aw[r] = (secs - bytes / base) / h[1] * 1e6
		ag[r] = (secs - bytes / gcbase) / h[1] * 1e6
		cpb = (nb[r - 1, "alloc_cpu"] + nb[r, "alloc_cpu"]) / 2
		ac[r] = (d[r " allocs100 alloc_cpu"] / 1e9 - bytes * cpb) / h[1] * 1e6
		cpbg = d[r " gc alloc_cpu"] / 1e9 / (gcbase * secs)
		acg[r] = (d[r " allocs100 alloc_cpu"] / 1e9 - bytes * cpbg) / h[1] * 1e6
		ar[r] = bytes / secs / base; arg[r] = bytes / secs / gcbase
		split(d[r " allocs100 gs"], g, " "); agc[r] = 100 * g[1] / hz / (g[2] / 1000)
		atr[r] = d[r " allocs100 alloc_trip"] + 0
		# the GC probes alone: extra time per GC cycle of the alloc loop
		split(d[r " gc gcs"], g, " "); cy[r] = g[1] / secs
		cw[r] = (secs - gcbase * secs / base) / g[1] * 1e6; cr[r] = gcbase / base
		cc[r] = (d[r " gc alloc_cpu"] / 1e9 - gcbase * secs * cpb) / g[1] * 1e6
		split(d[r " gc gs"], g, " "); cgc[r] = 100 * g[1] / hz / (g[2] / 1000)

		base = (nb[r - 1, "burst"] + nb[r, "burst"]) / 2
		gsum(d[r " burst burst"])
		split(d[r " burst hits"], h, " ")
		gh[r] = h[1] / T; gs[r] = h[2]
		gw[r] = (T - G / base) / h[1] * 1e6
		cpg = (nb[r - 1, "burst_cpu"] + nb[r, "burst_cpu"]) / 2
		gc[r] = (d[r " burst burst_cpu"] / 1e9 - G * cpg) / h[1] * 1e6
		gr[r] = (G / T) / base
		split(d[r " burst gs"], g, " "); ggc[r] = 100 * g[1] / hz / (g[2] / 1000)
		gtr[r] = d[r " burst burst_trip"] + 0; gG[r] = G; gH[r] = h[1]
	}
	printf "1. Cost of one probe hit, breaker off (--budget 100), median of %d\n", reps
	printf "| probe | hits/s while busy | throughput with/without | wall µs per hit | target CPU µs per hit | goscope says | goscope CPU |\n"
	printf "|---|---|---|---|---|---|---|\n"
	printf "| allocation sampling (`alloc`), against no goscope | %.0f | %.3f | %.1f | %.1f | %.1f µs | %.1f %% |\n", med(ah, reps), med(ar, reps), med(aw, reps), med(ac, reps), med(as, reps), med(agc, reps)
	printf "| allocation sampling (`alloc`), against the GC probes only | %.0f | %.3f | %.1f | %.1f | %.1f µs | %.1f %% |\n", med(ah, reps), med(arg, reps), med(ag, reps), med(acg, reps), med(as, reps), med(agc, reps)
	printf "| goroutine create+exit (`churn` bursts; no GC runs) | %.0f | %.4f | %.1f | %.1f | %.1f µs | %.1f %% |\n", med(gh, reps), med(gr, reps), med(gw, reps), med(gc, reps), med(gs, reps), med(ggc, reps)
	printf "| GC probes only (`record`, `alloc`), per GC cycle | %.0f GC/s | %.3f | %.1f per cycle | %.1f per cycle | - | %.1f %% |\n", med(cy, reps), med(cr, reps), med(cw, reps), med(cc, reps), med(cgc, reps)
	printf "   per rep, alloc: wall %s (against GC probes only: %s), CPU %s (against GC probes only: %s) µs/hit\n", list(aw), list(ag), list(ac), list(acg)
	printf "   per rep, goroutines: wall %s, CPU %s µs/hit; GC probes: wall %s, CPU %s µs per GC cycle\n", list(gw), list(gc), list(cw), list(cc)
	printf "   workload CPU per GB of alloc without goscope, per none phase:"
	for (r = 0; r <= reps; r++) printf " %.3f s", nb[r, "alloc_cpu"] * 1e9
	printf "\n"
	printf "   machine idle (%% of one CPU) in the allocs100 / gc alloc loops per rep:"
	for (r = 1; r <= reps; r++) { split(d[r " allocs100 alloc_idle"], L, " "); split(d[r " gc alloc_idle"], M, " "); printf " %d/%d", L[1], M[1] }
	printf "\n"
	printf "   goroutine hits goscope counted (created + exited) against 2 x the goroutines the bursts made:"
	for (r = 1; r <= reps; r++) printf " %d/%d", gH[r], 2 * gG[r]
	printf "\n"
	for (r = 1; r <= reps; r++) {
		if (atr[r]) printf "!! rep %d: the allocation probe tripped at --budget 100 (second %d)\n", r, atr[r]
		if (gtr[r]) printf "!! rep %d: the goroutine probes tripped during the paced bursts (burst %d): hits are not all under probes\n", r, gtr[r]
		if (gH[r] != 2 * gG[r]) printf "!! rep %d: goscope counted %d goroutine hits, the bursts made %d goroutines\n", r, gH[r], gG[r]
	}
	printf "\n"

	# ---- 2. and 3. throughput ratios per mode, per second ----
	printf "2./3. Target throughput with/without goscope (median of %d ratios; per second: median ratio of that second)\n", reps
	printf "| loop | goscope | without | with | ratio | against GC probes only | ratio per second 1..%d | breaker tripped (second) | ratio after the trip | hits | goscope CPU | machine idle with / without |\n", secs
	printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
	nm = split("alloc gc|alloc allocs100|alloc allocs|churn gc|churn gor100|churn gor", rows, "|")
	lab["gc"] = "`record` (GC probes only)"; lab["allocs100"] = "`profile --allocs --budget 100`"; lab["allocs"] = "`profile --allocs` (budget 1 %)"
	lab["gor100"] = "`profile --goroutines --budget 100`"; lab["gor"] = "`profile --goroutines` (budget 1 %)"
	for (k = 1; k <= nm; k++) {
		split(rows[k], p, " "); lp = p[1]; ph = p[2]
		delete rat; delete wv; delete bv; delete tr; delete hh; delete gcp; delete rg; delete aft; delete olw; delete olb; na = 0
		for (s = 1; s <= secs; s++) delete ps[s]
		ntr = 0; trs = ""
		for (r = 1; r <= reps; r++) {
			base = (nb[r - 1, lp] + nb[r, lp]) / 2
			n = split(d[r " " ph " " lp], v, " ")
			if (lp == "alloc") { with = sum(d[r " " ph " " lp]) / secs; for (s = 1; s <= n; s++) x[s] = v[s] }
			else { gsum(d[r " " ph " " lp]); with = G / T; for (s = 1; s <= n; s++) { split(v[s], q, ":"); x[s] = q[2] } }
			rat[r] = with / base; wv[r] = with; bv[r] = base
			if (lp == "alloc") rg[r] = with / (sum(d[r " gc alloc"]) / secs); else { gsum(d[r " gc churn"]); rg[r] = with / (G / T) }
			for (s = 1; s <= n; s++) ps[s] = ps[s] " " x[s] / base
			t = d[r " " ph " " lp "_trip"] + 0; trs = trs (r > 1 ? "," : "") (t ? t : "-")
			if (t && t < n) { a = 0; for (s = t + 1; s <= n; s++) a += x[s]; aft[++na] = a / (n - t) / base }
			split(d[r " " ph " hits"], h, " "); hh[r] = h[1]
			split(d[r " " ph " " lp "_idle"], L, " "); olw[r] = L[1]
			split(d[(r - 1) " none " lp "_idle"], L, " "); split(d[r " none " lp "_idle"], M, " "); olb[r] = (L[1] + M[1]) / 2
			split(d[r " " ph " gs"], g, " "); gcp[r] = 100 * g[1] / hz / (g[2] / 1000)
		}
		pss = ""
		for (s = 1; s <= secs; s++) { n = split(substr(ps[s], 2), v, " "); pss = pss sprintf("%s%.2f", (s > 1 ? " " : ""), med(v, n)) }
		hs = sprintf("%.0f", med(hh, reps))
		if (ph == "gc") {	# GC cycles seen during this loop
			for (r = 1; r <= reps; r++) { split(d[r " gc gcs"], h, " "); hh[r] = (lp == "alloc" ? h[1] : h[2]) / secs }
			hs = sprintf("%.0f GC/s", med(hh, reps))
		}
		u = (lp == "alloc" ? "B" : "G")
		printf "| `%s` | %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %.1f %% | %.0f %% / %.0f %% |\n", lp, lab[ph], fmtrate(med(bv, reps), u),
			fmtrate(med(wv, reps), u), med(rat, reps), (ph == "gc" ? "-" : sprintf("%.3f", med(rg, reps))), pss,
			(ph == "gc" ? "-" : trs), (na ? sprintf("%.3f", med(aft, na)) : "-"), hs, med(gcp, reps), med(olw, reps), med(olb, reps)
	}
	printf "   ratios per rep:"
	for (k = 1; k <= nm; k++) {
		split(rows[k], p, " "); lp = p[1]; ph = p[2]; printf " %s/%s", lp, ph
		for (r = 1; r <= reps; r++) {
			base = (nb[r - 1, lp] + nb[r, lp]) / 2
			if (lp == "alloc") with = sum(d[r " " ph " " lp]) / secs; else { gsum(d[r " " ph " " lp]); with = G / T }
			printf "%s%.3f", (r > 1 ? "," : "="), with / base
		}
	}
	printf "\n"
	printf "   goscope attach (ms to probes attached) / exit after SIGINT (ms), median over all sessions: "
	na = 0
	for (key in d) if (key ~ / gs$/) { split(d[key], g, " "); na++; at[na] = g[3]; ex[na] = g[4]; if (g[5] != 0) bad = bad " " key "=" g[5] }
	printf "%d / %d\n", med(at, na), med(ex, na)
	if (bad != "") printf "!! goscope exit status not 0:%s\n", bad
}' "$data"
