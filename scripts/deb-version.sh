#!/bin/sh
# The Debian package's version, derived from goscope's own (the Makefile's VERSION, which is
# `git describe --always --dirty`: a bare commit hash until the project has a tag):
#
#   85df72e             0~git173.85df72e      173 = commits in HEAD, so later snapshots sort
#                                             higher; 0~ sorts below any release 0.x
#   v0.3.0              0.3.0
#   v0.3.0-5-g1a2b3c4   0.3.0+git5.1a2b3c4    a snapshot after a release sorts above it
#   ...-dirty           ...+dirty             uncommitted changes
#
# A hash alone is not a Debian version (it may start with a letter, and does not sort).
#
#   usage: scripts/deb-version.sh [DESCRIBE [COUNT]]   (default: this checkout's)
set -eu

describe=${1:-$(git describe --always --dirty 2>/dev/null || true)}
count=${2:-$(git rev-list --count HEAD 2>/dev/null || true)}
if [ -z "$describe" ]; then
	echo "deb-version: not a git checkout: no version to give the package" >&2
	exit 1
fi

suffix=
case $describe in
*-dirty)
	describe=${describe%-dirty}
	suffix=+dirty
	;;
esac

# A tag (v1.2.3 or 1.2.3; a pre-release tag v1.2-rc1 becomes 1.2~rc1, which sorts before 1.2).
tag_version() {
	v=${1#v}
	case $v in
	[0-9]*) printf '%s' "$v" | tr - '~' ;;
	*) return 1 ;;
	esac
}

if expr "$describe" : '.*-[0-9][0-9]*-g[0-9a-f][0-9a-f]*$' >/dev/null; then
	hash=${describe##*-g}
	rest=${describe%-g*}
	n=${rest##*-}
	if v=$(tag_version "${rest%-*}"); then
		echo "$v+git$n.$hash$suffix"
		exit 0
	fi
	describe=$hash
elif v=$(tag_version "$describe") && ! expr "$describe" : '[0-9a-f]*$' >/dev/null; then
	echo "$v$suffix"
	exit 0
fi
if ! expr "$describe" : '[0-9a-f][0-9a-f]*$' >/dev/null || [ -z "$count" ]; then
	echo "deb-version: cannot make a Debian version of '$describe'" >&2
	exit 1
fi
echo "0~git$count.$describe$suffix"
