#!/usr/bin/env bash
# make deb: goscope_DEBVERSION_amd64.deb, built from debian/ by dpkg-buildpackage -b in a copy of
# the checkout's tracked files (as they are on disk) under OUT, so that the checkout stays clean
# and the .deb, .buildinfo and .changes land in OUT rather than in the checkout's parent. The
# copy's debian/changelog starts with an entry for this commit, whose version
# scripts/deb-version.sh derives from goscope's own.
#
#   usage: scripts/mkdeb.sh OUT GOSCOPE_VERSION
set -euo pipefail
cd "$(dirname "$0")/.."

out=$1
version=$2
deb_version=$(scripts/deb-version.sh)
src=$out/goscope

rm -rf "$out"
mkdir -p "$src"
# Tracked files only (git describe --dirty, and so the version, ignores untracked ones); a
# tracked file deleted from the work tree is left out.
git ls-files -z | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$src"

# The entry's date is the commit's, so that the package is the same whenever it is built; but
# later than the entry below it (lintian: latest-changelog-entry-without-new-date), which a
# commit that edits debian/changelog would otherwise not be.
maintainer=$(sed -n 's/^Maintainer: //p' debian/control)
when=$(git log -1 --format=%ct)
below=$(dpkg-parsechangelog -l debian/changelog -S Timestamp)
[ "$when" -gt "$below" ] || when=$((below + 1))
date=$(date -R -u -d "@$when")
{
	printf 'goscope (%s) unstable; urgency=medium\n\n' "$deb_version"
	printf '  * Snapshot of commit %s (goscope --version: %s).\n\n' \
		"$(git rev-parse --short HEAD)" "$version"
	printf ' -- %s  %s\n\n' "$maintainer" "$date"
	cat debian/changelog
} >"$src/debian/changelog"

# The package is built by a make of its own: not a job of the make that runs this script.
cd "$src"
unset MAKEFLAGS MFLAGS MAKELEVEL
GOSCOPE_VERSION=$version dpkg-buildpackage -b -us -uc -j"${DEB_JOBS:-$(nproc)}"
