#!/usr/bin/env bash
# build-targets.sh OUTDIR [MINOR|demo|tools|manyg...]
#
# Builds goscope's Go test targets with Debian's Go toolchains
# (/usr/lib/go-1.MINOR/bin/go):
#
#   OUTDIR/targets/go1.MINOR/MODE/churn      churn target, for every toolchain
#                                            and MODE in: default pie cgo stripped
#                                            (-ldflags=-s -w) and strip (the default
#                                            build run through binutils strip)
#   OUTDIR/targets/go1.MINOR/MODE/churn      also MODE upx and upx-cgo: the default
#                                            and cgo builds packed with UPX (Debian's
#                                            upx-ucl), every toolchain; and MODE goexp:
#                                            built with the GOEXPERIMENT of $GOEXPERIMENTS
#                                            below, on the toolchains it names
#   OUTDIR/targets/go1.MINOR/pgo/churn       churn built with profile-guided optimization
#                                            (Go 1.21+) and stripped (-ldflags=-s -w),
#                                            as Go's own toolchain binaries are: its
#                                            profile is the compiler's (the toolchain's
#                                            src/cmd/compile/default.pgo), where the
#                                            runtime's allocator and GC are hot, so the
#                                            runtime is inlined as in cmd/compile
#   OUTDIR/targets/go1.MINOR/MODE/quiescent  quiescent target (runtime-state
#                                            oracle), every toolchain, MODE in:
#                                            default pie
#   OUTDIR/targets/go1.MINOR/MODE/lifecycle  lifecycle target (goroutine-lifecycle
#                                            and allocation-sampling probes), every
#                                            toolchain, MODE in: default noprof
#                                            (-tags noprof: no runtime/pprof, so the
#                                            linker disables memory profiling)
#                                            stripped (-ldflags=-s -w)
#   OUTDIR/targets/go1.MINOR/MODE/stackshapes  goroutines of known shapes (stacks
#                                            oracle), every toolchain, MODE in:
#                                            default pie cgo stripped
#   OUTDIR/targets/go1.MINOR/MODE/rtonly     minimal programs: rtonly imports runtime only,
#   OUTDIR/targets/go1.MINOR/MODE/rttime     rttime runtime and time (the linker leaves out
#                                            what os would bring), every toolchain, MODE in:
#                                            default stripped
#   OUTDIR/targets/go1.MINOR/default/promgo  the Prometheus Go client's Go collector
#                                            inside a program (serve oracle), every
#                                            toolchain, built in GOPATH mode against
#                                            Debian's golang-github-prometheus-
#                                            client-golang-dev
#   OUTDIR/targets/go1.MINOR/cshared/libchurn.so  churn and quiescent as Go shared libraries
#   OUTDIR/targets/go1.MINOR/cshared/libquiescent.so  (-buildmode=c-shared -tags goscope_shlib),
#                                            every toolchain; cshared-strip/libchurn.so is
#                                            libchurn.so through binutils strip
#   OUTDIR/targets/go1.MINOR/carchive/churn  churn as a Go archive (-buildmode=c-archive) linked
#                                            into the C host, every toolchain
#   OUTDIR/targets/cgohost                   C host that dlopen()s a Go library (gcc)
#   OUTDIR/targets/demo                      demo workload       (newest toolchain)
#   OUTDIR/targets/manyg                     benchmark workload  (newest toolchain)
#   OUTDIR/targets/benchload                 benchmark workload  (newest toolchain)
#   OUTDIR/targets/bigbin                    large binary, ~30 MB (newest toolchain)
#   OUTDIR/targets/execer                    exec(2)s on SIGUSR1 (newest toolchain, with the tools)
#   OUTDIR/tools/gobininfo                   test oracle         (newest toolchain)
#   OUTDIR/tools/fmtns                       test oracle         (Go 1.19: go:linkname)
#
# With no MINOR arguments every installed toolchain of the matrix is built
# (missing ones are skipped with a note); listed MINORs must be installed.
# The demo, manyg (with benchload and bigbin) and the oracle are built along with any matrix build;
# arguments made only of the words "demo", "manyg" and/or "tools" build just
# those ("tests/build-targets.sh build demo" is what make run uses).
#
# Incremental: a binary is rebuilt only when a source file, this script or the
# toolchain is newer than it (toolchains are compared by ctime, because dpkg
# keeps the upstream mtime). All builds share OUTDIR/gocache; Go keys its
# cache by toolchain. Nothing is ever downloaded (GOPROXY=off,
# GOTOOLCHAIN=local).
#
# Environment: JOBS = toolchains built in parallel (default: number of CPUs).
#              FORCE=1 rebuilds everything (the Go cache still applies).
set -euo pipefail

MATRIX="19 21 22 23 24 25 26 27"
MODES="default stripped pie cgo"
QUIESCENT_MODES="default pie stripped"
LIFECYCLE_MODES="default noprof stripped"
STACKSHAPES_MODES="default pie cgo stripped"
# MINOR=EXPERIMENT: a build whose version carries an experiment tag (go1.26.11-X:nogreenteagc): the
# GC experiment switched on where it is opt-in (1.25) and off where it is the default (1.26). Each
# rebuilds the standard library (about a minute per release, cold), so not every release.
GOEXPERIMENTS="25=greenteagc 26=nogreenteagc"
PGO_MIN_MINOR=21	# the first release with -pgo
MINIMAL_MODES="default stripped"
MINIMAL_TARGETS="rtonly rttime"

die() { echo "build-targets: error: $*" >&2; exit 1; }

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: $0 OUTDIR [MINOR|demo|tools|manyg...]   (MINOR from: $MATRIX)" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
churn_src="$here/targets/churn"
demo_src="$here/targets/demo"
quiescent_src="$here/targets/quiescent"
lifecycle_src="$here/targets/lifecycle"
stackshapes_src="$here/targets/stackshapes"
promgo_src="$here/targets/promgo"
manyg_src="$here/targets/manyg"
benchload_src="$here/targets/benchload"
bigbin_src="$here/targets/bigbin"
oracle_src="$here/oracle/gobininfo"
execer_src="$here/targets/execer"
cgohost_src="$here/targets/cgohost/host.c"

mkdir -p "$1" || die "cannot create OUTDIR $1"
OUT=$(cd "$1" && pwd)
shift

toolchain() { echo "/usr/lib/go-1.$1/bin/go"; }

# What to build. Words "demo", "manyg" and "tools" (the oracle) may stand
# among the MINORs; given only such words, only those are built (make run:
# "demo").
minors=()
want_demo=0
want_tools=0
want_manyg=0
if [ $# -gt 0 ]; then
    words_only=1
    for m in "$@"; do
        case $m in
            demo) want_demo=1; continue ;;
            manyg) want_manyg=1; continue ;;
            tools|gobininfo|oracle) want_tools=1; continue ;;
        esac
        words_only=0
        m=${m#go}; m=${m#1.}
        [[ "$m" =~ ^[0-9]+$ ]] || die "bad argument '$m': want a Go minor version such as 24, or demo, manyg, tools"
        if [ ! -x "$(toolchain "$m")" ]; then
            die "golang-1.$m-go is not installed; run scripts/install-deps.sh --test"
        fi
        minors+=("$m")
    done
    if [ "$words_only" = 0 ]; then
        want_demo=1; want_tools=1; want_manyg=1
    fi
else
    want_demo=1; want_tools=1; want_manyg=1
    for m in $MATRIX; do
        if [ -x "$(toolchain "$m")" ]; then
            minors+=("$m")
        else
            echo "note: skipping go1.$m: golang-1.$m-go is not installed (scripts/install-deps.sh --test installs it)" >&2
        fi
    done
    [ ${#minors[@]} -gt 0 ] || die "no Go toolchain of the matrix ($MATRIX) is installed; run scripts/install-deps.sh --test"
fi

# Newest installed toolchain (of any /usr/lib/go-1.N) for the demo, manyg and
# the oracle.
newest=""
for d in /usr/lib/go-1.*/bin/go; do
    [ -x "$d" ] || continue
    n=${d#/usr/lib/go-1.}; n=${n%%/*}
    [[ "$n" =~ ^[0-9]+$ ]] || continue
    if [ -z "$newest" ] || [ "$n" -gt "$newest" ]; then newest=$n; fi
done
[ -n "$newest" ] || die "no Go toolchain installed under /usr/lib/go-1.*; run scripts/install-deps.sh --test"

# Hermetic, offline Go environment.
unset GOROOT GOPATH GOBIN GOOS GOARCH GOAMD64 GOEXPERIMENT GOFLAGS GODEBUG
export GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOFLAGS=-buildvcs=false GO111MODULE=on GOWORK=off GOENV=off
export GOCACHE="$OUT/gocache" GOPATH="$OUT/gopath" GOMODCACHE="$OUT/gopath/pkg/mod"
export GOTELEMETRY=off
mkdir -p "$GOCACHE" "$OUT/logs"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

# Inputs of a toolchain: compiler driver, compile/link tools, runtime source.
toolchain_inputs() {
    local root=/usr/lib/go-1.$1
    echo "$root/bin/go" "$root/VERSION" "$root/pkg/tool/linux_amd64/compile" \
         "$root/pkg/tool/linux_amd64/link" "$root/src/runtime/runtime2.go"
}

# is_fresh OUTPUT SRCDIR MINOR : output exists and is newer than all inputs.
is_fresh() {
    local out=$1 src=$2 m=$3
    [ "${FORCE:-0}" = 1 ] && return 1
    [ -f "$out" ] || return 1
    # find -cnewer: input ctime later than the output's mtime (ns precision).
    local stale
    # shellcheck disable=SC2046
    stale=$(find -L "$self" $(toolchain_inputs "$m") -maxdepth 0 -cnewer "$out" -print -quit 2>/dev/null)
    [ -z "$stale" ] || return 1
    stale=$(find -L "$src" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -cnewer "$out" -print -quit)
    [ -z "$stale" ]
}

# build_one MINOR MODE SRCDIR OUTPUT LABEL : prints one line; returns non-zero on failure.
build_one() {
    local m=$1 mode=$2 src=$3 out=$4 label=$5
    local gobin; gobin=$(toolchain "$m")
    if is_fresh "$out" "$src" "$m"; then
        printf '  %-24s up to date   %s\n' "$label" "${out#"$OUT"/}"
        return 0
    fi
    local -a env=(CGO_ENABLED=0) args=()
    case $mode in
        default)  ;;
        pie)      args=(-buildmode=pie) ;;
        cgo)      env=(CGO_ENABLED=1); args=(-ldflags=-linkmode=external) ;;
        stripped) args=("-ldflags=-s -w") ;;
        pgo)      args=("-pgo=/usr/lib/go-1.$m/src/cmd/compile/default.pgo" "-ldflags=-s -w") ;;
        noprof)   args=(-tags noprof) ;;
        cshared)  env=(CGO_ENABLED=1); args=(-buildmode=c-shared -tags goscope_shlib) ;;
        carchive) env=(CGO_ENABLED=1); args=(-buildmode=c-archive -tags goscope_shlib) ;;
        goexp)    env=(CGO_ENABLED=0 "GOEXPERIMENT=$(goexperiment "$m")") ;;
        # Debian's Go library packages are source trees under /usr/share/gocode, for GOPATH mode.
        gopath)   env=(CGO_ENABLED=0 GO111MODULE=off GOPATH=/usr/share/gocode) ;;
        *) echo "build-targets: unknown mode $mode" >&2; return 1 ;;
    esac
    if [[ "$mode" =~ ^(cgo|cshared|carchive)$ ]] && ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
        echo "FAILED: go1.$m mode $mode: ${CC:-gcc} not found (cgo builds need a C compiler)" >&2
        return 1
    fi
    mkdir -p "$(dirname "$out")"
    local log="$OUT/logs/${label//\//_}.log" tmp="$out.tmp.$$" s; s=$(now)
    if ! (cd "$src" && env "${env[@]}" "$gobin" build "${args[@]}" -o "$tmp" .) >"$log" 2>&1; then
        rm -f "$tmp"
        {
            echo "FAILED: go1.$m mode $mode ($gobin, ${env[*]} ${args[*]}) building $src:"
            sed 's/^/    /' "$log"
        } >&2
        return 1
    fi
    # c-shared and c-archive builds also write a C header, which nothing here needs.
    rm -f "${tmp%.*}.h" "$tmp.h"
    mv -f "$tmp" "$out"
    printf '  %-24s built %5ss  %s\n' "$label" "$(elapsed "$s")" "${out#"$OUT"/}"
}

# build_c SOURCE OUTPUT LABEL [CFLAGS/LIBS...] : a C program; rebuilt when its source, an
# input among the arguments or this script is newer.
build_c() {
    local src=$1 out=$2 label=$3; shift 3
    local cc=${CC:-gcc} a stale=0
    for a in "$src" "$self" "$@"; do
        [ -f "$a" ] && [ "$a" -nt "$out" ] && stale=1
    done
    if [ -x "$out" ] && [ "$stale" = 0 ] && [ "${FORCE:-0}" != 1 ]; then
        printf '  %-24s up to date   %s\n' "$label" "${out#"$OUT"/}"
        return 0
    fi
    mkdir -p "$(dirname "$out")"
    if ! "$cc" -O2 -g -Wall -Werror -o "$out.tmp.$$" "$src" "$@" >"$OUT/logs/${label//\//_}.log" 2>&1; then
        rm -f "$out.tmp.$$"
        { echo "FAILED: $label ($cc $src $*):"; sed 's/^/    /' "$OUT/logs/${label//\//_}.log"; } >&2
        return 1
    fi
    mv -f "$out.tmp.$$" "$out"
    printf '  %-24s built         %s\n' "$label" "${out#"$OUT"/}"
}

# One job per toolchain: its targets and modes in sequence (default and
# stripped share compiled packages; pie and cgo need their own; quiescent,
# lifecycle and stackshapes reuse what churn compiled and add a few packages).
# strip_one IN OUT LABEL : the binutils way of stripping, after the build (mode "strip").
strip_one() {
    local in=$1 out=$2 label=$3
    if [ -x "$out" ] && [ "$out" -nt "$in" ]; then
        printf '  %-24s up to date   %s\n' "$label" "${out#"$OUT"/}"
        return 0
    fi
    mkdir -p "$(dirname "$out")"
    strip -o "$out.tmp.$$" "$in" && mv -f "$out.tmp.$$" "$out" || {
        echo "FAILED: strip $in" >&2
        return 1
    }
    printf '  %-24s stripped      %s\n' "$label" "${out#"$OUT"/}"
}

# pack_one IN OUT LABEL : IN packed with UPX (modes "upx", "upx-cgo"). Level 1: the fastest; how
# hard UPX compresses does not change what the unpacked program looks like in memory.
pack_one() {
    local in=$1 out=$2 label=$3
    if [ -x "$out" ] && [ "$out" -nt "$in" ] && [ "$out" -nt "$self" ]; then
        printf '  %-24s up to date   %s\n' "$label" "${out#"$OUT"/}"
        return 0
    fi
    if ! command -v upx >/dev/null 2>&1; then
        echo "FAILED: $label: upx not found (scripts/install-deps.sh --test installs upx-ucl)" >&2
        return 1
    fi
    mkdir -p "$(dirname "$out")"
    rm -f "$out.tmp.$$"
    upx -q -q -1 -o "$out.tmp.$$" "$in" >/dev/null && mv -f "$out.tmp.$$" "$out" || {
        rm -f "$out.tmp.$$"
        echo "FAILED: upx $in" >&2
        return 1
    }
    printf '  %-24s packed        %s\n' "$label" "${out#"$OUT"/}"
}

# The GOEXPERIMENT of release MINOR in $GOEXPERIMENTS, or nothing.
goexperiment() {
    local kv
    for kv in $GOEXPERIMENTS; do
        [ "${kv%%=*}" = "$1" ] && echo "${kv#*=}"
    done
    return 0
}

build_toolchain() {
    local m=$1 mode name rc=0
    for mode in $MODES; do
        build_one "$m" "$mode" "$churn_src" "$OUT/targets/go1.$m/$mode/churn" "go1.$m/$mode" || rc=1
    done
    strip_one "$OUT/targets/go1.$m/default/churn" "$OUT/targets/go1.$m/strip/churn" "go1.$m/strip" || rc=1
    pack_one "$OUT/targets/go1.$m/default/churn" "$OUT/targets/go1.$m/upx/churn" "go1.$m/upx" || rc=1
    pack_one "$OUT/targets/go1.$m/cgo/churn" "$OUT/targets/go1.$m/upx-cgo/churn" "go1.$m/upx-cgo" || rc=1
    if [ -n "$(goexperiment "$m")" ]; then
        build_one "$m" goexp "$churn_src" "$OUT/targets/go1.$m/goexp/churn" "go1.$m/goexp" || rc=1
    fi
    if [ "$m" -ge "$PGO_MIN_MINOR" ]; then
        build_one "$m" pgo "$churn_src" "$OUT/targets/go1.$m/pgo/churn" "go1.$m/pgo" || rc=1
    fi
    for mode in $QUIESCENT_MODES; do
        build_one "$m" "$mode" "$quiescent_src" "$OUT/targets/go1.$m/$mode/quiescent" "go1.$m/$mode/quiescent" || rc=1
    done
    for mode in $LIFECYCLE_MODES; do
        build_one "$m" "$mode" "$lifecycle_src" "$OUT/targets/go1.$m/$mode/lifecycle" "go1.$m/$mode/lifecycle" || rc=1
    done
    for mode in $STACKSHAPES_MODES; do
        build_one "$m" "$mode" "$stackshapes_src" "$OUT/targets/go1.$m/$mode/stackshapes" "go1.$m/$mode/stackshapes" || rc=1
    done
    for name in $MINIMAL_TARGETS; do
        for mode in $MINIMAL_MODES; do
            build_one "$m" "$mode" "$here/targets/$name" "$OUT/targets/go1.$m/$mode/$name" \
                "go1.$m/$mode/$name" || rc=1
        done
    done
    build_one "$m" gopath "$promgo_src" "$OUT/targets/go1.$m/default/promgo" "go1.$m/promgo" || rc=1
    # Go inside a C process: a shared library the host loads, an archive linked into it.
    local d="$OUT/targets/go1.$m"
    build_one "$m" cshared "$churn_src" "$d/cshared/libchurn.so" "go1.$m/cshared" || rc=1
    build_one "$m" cshared "$quiescent_src" "$d/cshared/libquiescent.so" "go1.$m/cshared/quiescent" || rc=1
    strip_one "$d/cshared/libchurn.so" "$d/cshared-strip/libchurn.so" "go1.$m/cshared-strip" || rc=1
    build_one "$m" carchive "$churn_src" "$d/carchive/libchurn.a" "go1.$m/carchive" || rc=1
    build_c "$cgohost_src" "$d/carchive/churn" "go1.$m/carchive/host" -DGOSCOPE_ARCHIVE \
        "$d/carchive/libchurn.a" -lpthread || rc=1
    return $rc
}

build_tools() {
    local rc=0
    if [ "$want_tools" = 1 ]; then
        build_one "$newest" default "$oracle_src" "$OUT/tools/gobininfo" "tools/gobininfo(go1.$newest)" || rc=1
        build_one "$newest" default "$execer_src" "$OUT/targets/execer" "execer(go1.$newest)" || rc=1
        build_c "$cgohost_src" "$OUT/targets/cgohost" "cgohost" -ldl -lpthread || rc=1
        # fmtns reaches unexported runtime functions with go:linkname, which only Go 1.19 allows.
        if [ -x "$(toolchain 19)" ]; then
            build_one 19 default "$here/oracle/fmtns" "$OUT/tools/fmtns" "tools/fmtns(go1.19)" || rc=1
        fi
    fi
    if [ "$want_demo" = 1 ]; then
        build_one "$newest" default "$demo_src" "$OUT/targets/demo" "demo(go1.$newest)" || rc=1
    fi
    if [ "$want_manyg" = 1 ]; then
        build_one "$newest" default "$manyg_src" "$OUT/targets/manyg" "manyg(go1.$newest)" || rc=1
        build_one "$newest" default "$benchload_src" "$OUT/targets/benchload" "benchload(go1.$newest)" || rc=1
        build_one "$newest" default "$bigbin_src" "$OUT/targets/bigbin" "bigbin(go1.$newest)" || rc=1
    fi
    return $rc
}

jobs_max=${JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs_max" -ge 1 ] 2>/dev/null || jobs_max=1

extra=""
[ "$want_tools" = 1 ] && extra="$extra tools"
[ "$want_demo" = 1 ] && extra="$extra demo"
[ "$want_manyg" = 1 ] && extra="$extra manyg"
if [ ${#minors[@]} -gt 0 ]; then
    echo "build-targets: churn for go1.{${minors[*]}} x [$MODES] (+ pgo from go1.$PGO_MIN_MINOR), quiescent x [$QUIESCENT_MODES], lifecycle x [$LIFECYCLE_MODES], stackshapes x [$STACKSHAPES_MODES], promgo +$extra -> $OUT (jobs=$jobs_max)"
    echo "build-targets: churn for go1.{${minors[*]}} x [$MODES], quiescent x [$QUIESCENT_MODES], lifecycle x [$LIFECYCLE_MODES], stackshapes x [$STACKSHAPES_MODES], $MINIMAL_TARGETS x [$MINIMAL_MODES], promgo +$extra -> $OUT (jobs=$jobs_max)"
else
    echo "build-targets:$extra -> $OUT"
fi

# Each job records its exit status in a file; the loop below only throttles.
rcdir="$OUT/logs/rc.$$"
rm -rf "$rcdir"; mkdir -p "$rcdir"
running=0
names=()
start_job() {
    local name=$1; shift
    while [ "$running" -ge "$jobs_max" ]; do
        wait -n || true
        running=$((running - 1))
    done
    ( rc=0; "$@" || rc=$?; echo "$rc" >"$rcdir/$name" ) &
    names+=("$name")
    running=$((running + 1))
}

start_job tools build_tools
for m in ${minors[@]+"${minors[@]}"}; do
    start_job "go1.$m" build_toolchain "$m"
done
wait

failed_names=()
for n in "${names[@]}"; do
    rc=$(cat "$rcdir/$n" 2>/dev/null || echo missing)
    [ "$rc" = 0 ] || failed_names+=("$n")
done
rm -rf "$rcdir"

total=$(elapsed "$t0")
if [ ${#failed_names[@]} -ne 0 ]; then
    echo "build-targets: FAILED: ${failed_names[*]} (see FAILED lines above; logs in $OUT/logs) after ${total}s" >&2
    exit 1
fi
echo "build-targets: all done in ${total}s"
