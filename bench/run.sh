#!/usr/bin/env bash
# Runs the golws comparison: installs what is missing (Debian packages
# gnuplot-nox, libwebsockets-test-server, nghttp2-client for h2load, and
# h2o), builds the servers, the harness and cmd/lws-bench into
# bench/out/bin, and runs the harness.
# Arguments go to the harness, for example:
#
#   ./bench/run.sh                 # the full comparison, under 10 minutes
#   ./bench/run.sh -quick          # a short smoke run
#   ./bench/run.sh -only idle -servers golws,nbio
#   ./bench/run.sh -only h2 -servers golws-h2,nethttp-h2,h2o
#   ./bench/run.sh -base 3f046f3 -only echo,idle,http -servers golws,golws-files
#                                  # this checkout against an earlier commit,
#                                  # built as golws-base, in the same run
#
# Results land in bench/out/ (results.json, table.md, *.png, logs/).
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$bench"

missing=()
command -v gnuplot >/dev/null 2>&1 || missing+=(gnuplot-nox)
[ -x /usr/bin/libwebsockets-test-server ] || missing+=(libwebsockets-test-server)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
[ -x /usr/bin/h2o ] || missing+=(h2o)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing ${missing[*]}" >&2
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bin="$bench/out/bin"
mkdir -p "$bin"
echo "building into $bin" >&2
go build -o "$bin/" ./servers/... ./cmd/compare
(cd "$bench/.." && go build -o "$bin/lws-bench" ./cmd/lws-bench)

# -base REV: build golws's echo/file server from commit REV as golws-base,
# so that the run compares this checkout with REV on the same machine.
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = "-base" ] && [ $# -ge 2 ]; then
		rev=$2
		shift 2
		tree=$(mktemp -d)
		trap 'git -C "$bench/.." worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$tree"' EXIT
		git -C "$bench/.." worktree add -q --detach "$tree" "$rev"
		GOLWS_BASE_REV=$(git -C "$tree" rev-parse --short=12 HEAD)
		export GOLWS_BASE_REV
		echo "building golws-base from $GOLWS_BASE_REV" >&2
		(cd "$tree/bench" && go build -o "$bin/golws-base" ./servers/golws)
		args+=(-base)
		continue
	fi
	args+=("$1")
	shift
done

"$bin/compare" -bin "$bin" "${args[@]}"
