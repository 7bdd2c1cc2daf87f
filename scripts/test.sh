#!/usr/bin/env bash
# Runs every check and test of golws: formatting, vet, staticcheck, the
# documentation check, the race-enabled test suite and a one-pass run of
# every benchmark. This is what CI runs (.ci/run). It installs what the
# tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK=honnef.co/go/tools/cmd/staticcheck@v0.8.2

echo "== go mod download"
go mod download

echo "== peers: libwebsockets' own test server and client (Debian)"
if ! command -v libwebsockets-test-server >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq libwebsockets-test-server
fi

echo "== peers: a C compiler and libwebsockets' headers (Debian), to build interop/lws/pmd-echo-server.c"
if ! command -v cc >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libwebsockets; then
	apt-get update -qq && apt-get install -y -qq gcc libc6-dev pkg-config libwebsockets-dev
fi

echo "== peers: python3's zlib (permessage-deflate's window checks, Debian)"
if ! command -v python3 >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq python3
fi

echo "== peers: curl and openssl (HTTP and TLS tests)"
if ! command -v curl >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq curl openssl
fi

echo "== peers: nghttp and h2load (HTTP/2 tests, Debian)"
if ! command -v nghttp >/dev/null 2>&1 || ! command -v h2load >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq nghttp2-client
fi

echo "== peers: h2spec (HTTP/2 conformance), into GOBIN or GOPATH/bin"
if ! command -v h2spec >/dev/null 2>&1 && ! [ -x "$(go env GOBIN)/h2spec" ] && ! [ -x "$(go env GOPATH | cut -d: -f1)/bin/h2spec" ]; then
	go install github.com/summerwind/h2spec/cmd/h2spec@v2.2.1+incompatible
fi

echo "== peers: headless Chromium (the browser test of lwsws's site)"
if ! command -v chromium >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq chromium
fi
# The browser test keeps its screenshot here.
export LWS_ARTIFACT_DIR="$(pwd)/artifacts"

echo "== peers: Node's ws"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	apt-get update -qq && apt-get install -y -qq nodejs npm
fi
(cd interop/node && npm ci --no-audit --no-fund --loglevel=error)
# Tests that need a peer fail rather than skip when it is missing.
export LWS_REQUIRE_PEERS=1

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:"
	echo "$unformatted"
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run "$STATICCHECK" ./...

echo "== the comparison harness (its own module, bench/): vet, staticcheck, build"
(cd bench && go vet ./... && go run "$STATICCHECK" ./... && go build ./...)
echo "== the comparison harness, a quick smoke run (fails if a golws run fails)"
./bench/run.sh -quick -check -out "$(mktemp -d)" >/dev/null

# Every fuzz target, found by name, runs for a bounded time from its seed
# corpus (f.Add and testdata/fuzz); a crasher fails the run and is saved
# under testdata/fuzz for the package's ordinary tests to replay.
FUZZTIME="${FUZZTIME:-3s}"
echo "== fuzz targets, $FUZZTIME each"
grep -rl --include='*_test.go' --exclude-dir=bench --exclude-dir=node_modules '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do
	for target in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
		echo "-- $dir $target"
		out="$(mktemp)"
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$dir" 2>&1 | tee "$out"; then
			# Go 1.26's fuzz coordinator can report its own -fuzztime
			# deadline as a failure (go.dev/issue/75804, fixed in Go
			# 1.27): that exact report, with no failing input written
			# and nothing else failing, is the end of the budget.
			if grep -q 'Failing input written' "$out" ||
				[ "$(grep -c -- '--- FAIL' "$out")" != 1 ] ||
				[ "$(grep -A1 -- '^--- FAIL' "$out" | sed -n '2s/^[[:space:]]*//p')" != 'context deadline exceeded' ]; then
				rm -f "$out"
				exit 1
			fi
			echo "-- $target: the fuzz budget ended in Go's coordinator race, no failing input"
		fi
		rm -f "$out"
	done
done

echo "== go test -race"
go test -race -count=1 -timeout 25m ./...

echo "== allocation checks (the race detector allocates, so these run without it)"
go test -count=1 -run 'AllocatesNothing|Allocs$' . ./h2 ./pmdeflate

echo "== benchmarks, one pass each (go test -bench . -benchtime 2s for figures)"
go test -run '^$' -bench . -benchtime 1x -count=1 ./...
