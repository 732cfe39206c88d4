#!/usr/bin/env bash
# Dashboard benchmark (numbers, not pass/fail). Needs the test targets:
#   tests/build-targets.sh build && bench/top.sh [BUILD_DIR]
#
# Starts 20 Go processes of mixed Go versions (1 manyg -work, 10 churn, 9 quiescent) and runs
# `goscope top` with no PID (every Go process on the machine) in a detached tmux session, once at
# the default 1 s refresh and once at -i 250ms. For each run:
#   - startup: time until all 20 rows show, and until all 20 have rates (second sample);
#   - agent CPU over a 30 s window after a 5 s warm-up (utime+stime, % of one CPU), and the
#     median / max of its per-second CPU;
#   - agent memory: VmRSS at the end of the window, VmHWM;
#   - target cost: manyg's work-loop throughput ("ops N" per second) in the same window, against
#     phases without goscope before, between and after (one run of the target, like run.sh),
#     and the 20 targets' summed CPU (the uprobe hits are charged to the targets, not the agent).
# The machine may run other Go processes (other people's tests): top shows them too; the title
# line's count is printed so the numbers can be read against it.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
goscope="$build/goscope"
targets="$build/targets"
manyg="$targets/manyg"
[ -x "$goscope" ] && [ -x "$manyg" ] || { echo "top: build first: make && tests/build-targets.sh $build" >&2; exit 1; }
command -v tmux >/dev/null || { echo "top: needs tmux (top needs a terminal)" >&2; exit 1; }
versions=()
for d in "$targets"/go1.*/default; do
	[ -x "$d/churn" ] && [ -x "$d/quiescent" ] && versions+=("$d")
done
[ ${#versions[@]} -gt 0 ] || { echo "top: no churn/quiescent targets under $targets/go1.*/default" >&2; exit 1; }

WARMUP=${WARMUP:-5}	# seconds after start before the window opens
WINDOW=${WINDOW:-30}	# seconds measured per top run
BASE=${BASE:-10}		# seconds per phase without goscope
hz=$(getconf CLK_TCK)
sock="goscope-bench-$$"	# private tmux server: never touches the user's sessions
tmp=$(mktemp -d)
pids=()
names=()

cleanup() {
	local p
	tmux -L "$sock" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"	# a server that ended by itself leaves it
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM	# exit runs the EXIT trap, so Ctrl-C cleans up too

# start_target NAME BINARY ARGS...: stdout goes to $tmp/NAME.out, which says "<pid> ready".
start_target() {
	local name=$1
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids+=($!)
	names+=("$name")
}

# Goscope must never harm a target: say so loudly if one is gone, with its exit status and stderr.
check_targets() {
	local i st
	for i in "${!pids[@]}"; do
		alive "${pids[i]}" && continue
		st=0
		wait "${pids[i]}" || st=$?
		echo "!! after $1: ${names[i]} (PID ${pids[i]}) is gone, exit status $st; stderr:"
		tail -n 5 "$tmp/${names[i]}.err" | sed 's/^/!!   /'
		unset 'pids[i]'
	done
}

wait_ready() {
	local f deadline=$((SECONDS + 60))
	for f in "$tmp"/*.out; do
		until grep -q ' ready$' "$f"; do
			((SECONDS < deadline)) || { echo "top: $(basename "$f" .out) did not start" >&2; exit 1; }
			sleep 0.1
		done
	done
}

now_ns() { date +%s%N; }

# Agent CPU in clock ticks (utime+stime, all threads): fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends the command name.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

targets_ticks() {
	local p sum=0 t
	for p in "${pids[@]}"; do
		t=$(cpu_ticks "$p" 2>/dev/null) || continue
		sum=$((sum + t))
	done
	echo "$sum"
}

# A process that quit stays a zombie until tmux reaps it: count that as gone.
alive() { [ -e "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]; }

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Number of "ops N" lines manyg has printed so far (one per second).
ops_count() { grep -c '^ops ' "$tmp/manyg.out" || true; }

# Median of the ops lines FROM+1..TO.
ops_median() {
	grep '^ops ' "$tmp/manyg.out" | sed -n "$(($1 + 1)),$2p" | awk '{ print $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# How many of our 20 PIDs have a row in the dashboard, and how many of those show a rate
# (ALLOC/s is "-" until the second sample). A row starts with the PID, maybe after a marker.
rows_shown() {
	tmux -L "$sock" capture-pane -p | awk -v want="${pids[*]}" '
		BEGIN { n = split(want, a, " "); for (i = 1; i <= n; i++) w[a[i]] = 1 }
		{ s = $0; sub(/^[^0-9]*/, "", s); split(s, f, " ") }
		(f[1] in w) && !(f[1] in seen) { seen[f[1]] = 1; rows++; if (f[8] != "-") rated++ }
		END { print rows + 0, rated + 0 }'
}

# GC cycles per second over the 20 targets, as the dashboard shows them (GC/s, 9th column).
gc_per_s() {
	tmux -L "$sock" capture-pane -p | awk -v want="${pids[*]}" '
		BEGIN { n = split(want, a, " "); for (i = 1; i <= n; i++) w[a[i]] = 1 }
		{ s = $0; sub(/^[^0-9]*/, "", s); split(s, f, " ") }
		(f[1] in w) && f[9] ~ /^[0-9.]+$/ { sum += f[9] }
		END { printf "%.0f\n", sum }'
}

# baseline_phase: median of manyg throughput with no goscope running.
baseline_phase() {
	local n0 n1
	n0=$(ops_count)
	sleep "$BASE"
	n1=$(ops_count)
	ops_median "$n0" "$n1"
}

# top_phase INTERVAL: one run of `goscope top -i INTERVAL`; prints one result line.
top_phase() {
	local i iv=$1 gcs t0 agent term x0 x1 rows rated t_rows=- t_rated= c_rated n0 n1 c0 c1 s0 s1 w0 w1 tt0 tt1 title
	local persec=()
	t0=$(now_ns)
	tmux -L "$sock" new-session -d -x 160 -y 50 "exec '$goscope' top -i $iv"
	agent=$(tmux -L "$sock" display -p '#{pane_pid}')
	term=$(tmux -L "$sock" display -p '#{pid}')	# the tmux server plays the user's terminal
	# Startup: poll the screen until every target has a row, then a rate (30 s at most).
	while [ -z "$t_rated" ] && (($(now_ns) - t0 < 30000000000)); do
		read -r rows rated < <(rows_shown)
		[ "$t_rows" = - ] && [ "$rows" -eq ${#pids[@]} ] && t_rows=$((($(now_ns) - t0) / 1000000))
		[ "$rated" -eq ${#pids[@]} ] && t_rated=$((($(now_ns) - t0) / 1000000))
		sleep 0.05
	done
	c_rated=$(cpu_ticks "$agent")
	: "${t_rated:=-}"
	# Warm-up: WARMUP s after start, or after the last rate appeared if that took longer.
	while (($(now_ns) - t0 < WARMUP * 1000000000)); do sleep 0.1; done
	title=$(tmux -L "$sock" capture-pane -p | sed -n '1s/.* - \([0-9]* Go processes\).*/\1/p')
	n0=$(ops_count)
	c0=$(cpu_ticks "$agent")
	x0=$(cpu_ticks "$term")
	tt0=$(targets_ticks)
	w0=$(now_ns)
	# Per-second CPU from the same counters (1 tick = 1 % at CLK_TCK 100); the per-task
	# schedstat files would miss threads that came and went.
	s0=$c0
	for ((i = 0; i < WINDOW; i++)); do
		sleep 1
		s1=$(cpu_ticks "$agent")
		persec+=($((s1 - s0)))
		s0=$s1
	done
	gcs=$(gc_per_s)
	w1=$(now_ns)
	c1=$(cpu_ticks "$agent")
	x1=$(cpu_ticks "$term")
	tt1=$(targets_ticks)
	n1=$(ops_count)
	local rss hwm
	rss=$(status_kb "$agent" VmRSS)
	hwm=$(status_kb "$agent" VmHWM)
	# Quit as a user would (q), so the agent detaches its probes before the next phase.
	tmux -L "$sock" send-keys q
	local q0 quit
	q0=$(now_ns)
	while alive "$agent" && (($(now_ns) - q0 < 15000000000)); do sleep 0.05; done
	quit="$((($(now_ns) - q0) / 1000000)) ms"
	alive "$agent" && { quit="not within 15 s, killed"; kill "$agent"; }
	tmux -L "$sock" kill-server 2>/dev/null || true
	printf '%s\n' "${persec[@]}" | sort -n | awk -v iv="$iv" -v hz="$hz" -v c0="$c0" -v c1="$c1" \
		-v w0="$w0" -v w1="$w1" -v rss="$rss" -v hwm="$hwm" -v tr="$t_rows" -v td="$t_rated" \
		-v cr="$c_rated" -v tt0="$tt0" -v tt1="$tt1" -v ops="$(ops_median "$n0" "$n1")" -v title="$title" -v quit="$quit" -v gcs="$gcs" -v x0="$x0" -v x1="$x1" '
		{ v[NR] = $1 }
		END {
			secs = (w1 - w0) / 1e9
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "top -i %s (%s on screen)\n", iv, title
			printf "  startup: all rows %s ms, all rates %s ms, agent CPU to get there %.2f s\n", tr, td, cr / hz
			printf "  agent CPU: %.2f%% of one CPU over %.0f s (per second: median %.0f%%, max %.0f%%), %s GC/s on the 20 rows\n",
				100 * (c1 - c0) / hz / secs, secs, 100 * med / hz, 100 * v[NR] / hz, gcs
			printf "  terminal (tmux server) CPU: %.2f%% of one CPU\n", 100 * (x1 - x0) / hz / secs
			printf "  agent memory: VmRSS %.1f MiB, VmHWM %.1f MiB\n", rss / 1024, hwm / 1024
			printf "  targets CPU: %.1f%% of one CPU (sum of 20)\n", 100 * (tt1 - tt0) / hz / secs
			printf "  quit (q key until the process is gone): %s\n", quit
			printf "RESULT %s %d\n", iv, ops
		}'
}

echo "== starting 20 targets (manyg -work, 10 churn, 9 quiescent; Go versions: ${#versions[@]})"
start_target manyg "$manyg" -n 1000 -work
# churn is paced to 32 MiB/s with one worker: ~7 GC cycles/s each (14 probe hits/s) at ~5 % of
# a CPU, so ten of them keep the GC probes busy without saturating a small machine.
for ((i = 0; i < 10; i++)); do
	d=${versions[i % ${#versions[@]}]}
	start_target "churn$i" "$d/churn" -workers 1 -rate 32 -max-live 16
done
for ((i = 0; i < 9; i++)); do
	d=${versions[(i + 2) % ${#versions[@]}]}
	start_target "quiescent$i" "$d/quiescent" -out "$tmp/q$i.json" -chan 10 -sleep 5 -alloc 4 -gc 1
done
wait_ready
for d in "${versions[@]}"; do printf '%s ' "$(basename "$(dirname "$d")")"; done
echo
sleep 3	# let manyg's throughput settle

# Phases alternate in one run of the targets: base, top 1s, base, top 250ms, base.
# A base phase right after top also shows whether anything stays attached.
tt0=$(targets_ticks); t0=$(now_ns)
b1=$(baseline_phase)
check_targets "base phase 1"
tb=$(( $(targets_ticks) - tt0 )); tbs=$(( $(now_ns) - t0 ))
top_phase 1s >"$tmp/top1"
sed '/^RESULT/d' "$tmp/top1"
read -r _ _ o1 < <(grep '^RESULT' "$tmp/top1")
check_targets "top -i 1s"
b2=$(baseline_phase)
check_targets "base phase 2"
top_phase 250ms >"$tmp/top250"
sed '/^RESULT/d' "$tmp/top250"
read -r _ _ o250 < <(grep '^RESULT' "$tmp/top250")
check_targets "top -i 250ms"
b3=$(baseline_phase)
check_targets "base phase 3"
echo "targets alive at the end: ${#pids[@]} of 20"

awk -v b1="$b1" -v b2="$b2" -v b3="$b3" -v a="$o1" -v c="$o250" -v tb="$tb" -v tbs="$tbs" -v hz="$hz" 'BEGIN {
	n = split(b1 " " b2 " " b3, v, " ")
	# median of the three baseline medians
	if (v[1] > v[2]) { t = v[1]; v[1] = v[2]; v[2] = t }
	if (v[2] > v[3]) { t = v[2]; v[2] = v[3]; v[3] = t }
	if (v[1] > v[2]) { t = v[1]; v[1] = v[2]; v[2] = t }
	b = v[2]
	printf "targets CPU without goscope: %.1f%% of one CPU (sum of 20, first base phase)\n", 100 * tb / hz / (tbs / 1e9)
	printf "manyg ops/s, median per phase: base %d %d %d (median %d)\n", b1, b2, b3, b
	printf "  with top -i 1s:    %d  ratio %.3f\n", a, a / b
	printf "  with top -i 250ms: %d  ratio %.3f\n", c, c / b
}'
