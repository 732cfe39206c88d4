#!/usr/bin/env bash
# Start the bundled demo Go workload and open goscope's dashboard on it (what `make run` does).
# q or Ctrl-C stops both. Usage: scripts/run-demo.sh [BUILD_DIR]
set -euo pipefail

build=${1:-build}
demo="$build/targets/demo"
goscope="$build/goscope"
[ -x "$goscope" ] || { echo "run-demo: $goscope is missing; run make" >&2; exit 1; }
[ -x "$demo" ] || { echo "run-demo: $demo is missing; run make run" >&2; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "run-demo: goscope loads BPF programs: run this as root (sudo make run)" >&2
	exit 1
fi

log=$(mktemp /tmp/goscope-demo.XXXXXX.log)
"$demo" >"$log" 2>&1 &
demo_pid=$!
cleanup() {
	set +e
	kill "$demo_pid" 2>/dev/null
	wait "$demo_pid" 2>/dev/null
	echo "run-demo: demo stopped; its phase log is $log" >&2
}
trap cleanup EXIT
trap 'exit 0' INT TERM

sleep 1
echo "run-demo: demo workload running as PID $demo_pid (its phase log: $log)" >&2
if [ -t 0 ] && [ -t 1 ]; then
	# The dashboard on the demo; Esc shows the overview, q quits.
	"$goscope" top "$demo_pid" || true
else
	echo "run-demo: no terminal for the dashboard; goscope gctrace $demo_pid instead (Ctrl-C stops)" >&2
	"$goscope" gctrace "$demo_pid" || true
fi
