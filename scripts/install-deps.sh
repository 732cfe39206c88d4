#!/usr/bin/env bash
# Install what goscope needs, from Debian packages only. Idempotent: when everything is already
# installed it touches nothing and takes well under a second.
#
#   scripts/install-deps.sh          build + run dependencies, and one Go toolchain for the demo
#   scripts/install-deps.sh --test   also the test tools and the whole Go test matrix
set -euo pipefail

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

build_pkgs=(make clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev pkg-config
	libncurses-dev libcapstone-dev libjson-c-dev gcc libc6-dev golang-1.19-go
	libmicrohttpd-dev libgnutls28-dev libyaml-dev libcrypt-dev libcurl4-gnutls-dev ca-certificates)
test_pkgs=(python3 python3-pytest python3-jsonschema tmux procps util-linux libclang-rt-14-dev
	prometheus logrotate groff-base bpftrace podman runc containerd curl)
go_minors=(19 21 22 23 24 25 26 27)
# The deployment files' tests: YAML manifests parsed, the systemd unit checked (systemd-analyze).
test_pkgs+=(python3-yaml systemd)
# The exporter's TLS tests make their own CA and certificates.
test_pkgs+=(openssl)
# serve's oracle: a program instrumented with the Prometheus Go client library (GOPATH mode,
# tests/targets/promgo); bookworm's 1.14 and its dependencies are all new packages, no upgrade.
test_pkgs+=(golang-github-prometheus-client-golang-dev)
# The OTLP push tests decode goscope's requests with the OpenTelemetry project's own protobuf
# bindings (bookworm-backports: generated from opentelemetry-proto 1.5.0).
test_pkgs+=(python3-opentelemetry-proto)
# The log collector test runs an rsyslogd of its own (imfile, mmjsonparse) on its own config. The
# packaged service is not started (policy-rc.d below) and the test's instance has no /dev/log or
# network input: the machine's logging is untouched. rsyslog conflicts with every other system
# log daemon, which apt would remove to install it; with one installed, the test lacks rsyslogd.
other_syslog=$(dpkg-query -W -f='${Package} ${Status} ${Provides}\n' 2>/dev/null |
	awk '/ok installed/ && /system-log-daemon/ && $1 != "rsyslog" { print $1 }')
if [ -z "$other_syslog" ]; then
	test_pkgs+=(rsyslog)
elif [ "$want_tests" = 1 ]; then
	echo "install-deps: not installing rsyslog, which would replace $other_syslog" >&2
fi
# make deb (make test builds the package): dpkg-buildpackage and dh (debhelper brings dpkg-dev;
# no fakeroot: the package needs no root to build, Rules-Requires-Root: no); its test runs lintian.
test_pkgs+=(debhelper lintian)
# Packed Go programs (tests/integration/test_packed.py): UPX, from bookworm-backports.
test_pkgs+=(upx-ucl)

pkgs=("${build_pkgs[@]}")
if [ "$want_tests" = 1 ]; then
	pkgs+=("${test_pkgs[@]}")
	for m in "${go_minors[@]}"; do pkgs+=("golang-1.$m-go"); done
fi

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}
missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
[ "${#missing[@]}" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
	exit 1
fi

# The Go test matrix comes from newer Debian suites. They are added with a low pin so that nothing
# already installed is upgraded from them: only packages named explicitly come from there.
src=/etc/apt/sources.list.d/goscope-go-matrix.sources
if [ "$want_tests" = 1 ] && [ ! -e "$src" ]; then
	cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	cat >/etc/apt/preferences.d/goscope-go-matrix <<'PIN'
Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: *
Pin: release n=trixie
Pin-Priority: 50

Package: *
Pin: release n=trixie-backports
Pin-Priority: 50
PIN
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}" >&2
# Packaged services (prometheus) must not start: the tests run their own instances, and a machine
# without a running init must not fail the install. policy-rc.d 101 is Debian's "do not start".
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
