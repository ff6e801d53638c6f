#!/usr/bin/env bash
# verify-release.sh builds a release as `make release` does, into a temporary
# directory, and checks it with krew's own tools, offline:
#
#   1. validate-krew-manifest (krew v0.4.3) on the generated virtwork.yaml and
#      on the checked-in plugin.yaml, with -skip-install: its install step
#      would download the release URIs;
#   2. kubectl krew install --manifest --archive of every platform's archive,
#      each into a throw-away KREW_ROOT with KREW_OS/KREW_ARCH set, which is
#      what validate-krew-manifest's install step does but with the local
#      archive: its sha256, bin and files must match the manifest, and the
#      LICENSE must be installed;
#   3. on linux/amd64, through kubectl with $KREW_ROOT/bin on PATH:
#      `kubectl virtwork version` (and -o json) shows the stamped version,
#      commit and date, and `kubectl __complete virtwork ...` completes
#      through kubectl_complete-virtwork from the archive;
#   4. building and packing linux/amd64 again gives the same sha256.
#
# krew and validate-krew-manifest are built from sigs.k8s.io/krew at
# KREW_VERSION with its own go.mod (go install pkg@version) into
#   ${VIRTWORK_KREW_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/virtwork/tools/krew-v0.4.3}
# once; nothing but Go modules is downloaded. RELEASE_PLATFORMS (comma
# separated GOOS/GOARCH, default all five) narrows what is built.
set -euo pipefail
cd "$(dirname "$0")/.."

KREW_VERSION=v0.4.3
VERSION=v0.0.0-verify
PLATFORMS="${RELEASE_PLATFORMS:-linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/virtwork"
tools="${VIRTWORK_KREW_TOOLS_DIR:-$cache_root/tools/krew-$KREW_VERSION}"

log() { printf 'verify-release: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

# The plugin's own checks below need linux/amd64: it is what runs here.
[[ "$(go env GOOS)/$(go env GOARCH)" == linux/amd64 ]] || fail "runs on linux/amd64 only, this is $(go env GOOS)/$(go env GOARCH)"
[[ ",$PLATFORMS," == *,linux/amd64,* ]] || fail "RELEASE_PLATFORMS must include linux/amd64, got $PLATFORMS"
command -v kubectl >/dev/null || fail "kubectl is not on PATH"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/virtwork-verify-release.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# --- krew's tools -----------------------------------------------------------
# (Every krew command creates its KREW_ROOT, ~/.krew by default: it is kept
# in $tmp.)
if ! KREW_ROOT="$tmp/krew-version" "$tools/kubectl-krew" version 2>/dev/null | grep -q "GitTag  *$KREW_VERSION" ||
	[[ ! -x $tools/validate-krew-manifest ]]; then
	log "building krew $KREW_VERSION into $tools"
	mkdir -p "$tools"
	GOBIN="$tools" GOFLAGS='' go install \
		-ldflags "-X sigs.k8s.io/krew/internal/version.gitTag=$KREW_VERSION" \
		"sigs.k8s.io/krew/cmd/krew@$KREW_VERSION" \
		"sigs.k8s.io/krew/cmd/validate-krew-manifest@$KREW_VERSION"
	# kubectl runs krew as the plugin kubectl-krew.
	mv -f "$tools/krew" "$tools/kubectl-krew"
fi

# --- the release -------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
date=$(git log -1 --format=%cI 2>/dev/null || echo unknown)
mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)
release() { # out platforms
	go run ./hack/release -version "$VERSION" -commit "$commit" -date "$date" -mtime "$mtime" -platforms "$2" -out "$1"
}
start=$SECONDS
release "$tmp/dist" "$PLATFORMS"
log "built $PLATFORMS in $((SECONDS - start))s"
dist="$tmp/dist"
manifest="$dist/virtwork.yaml"
( cd "$dist" && sha256sum --quiet -c kubectl-virtwork_${VERSION}_checksums.txt ) || fail "the checksums file does not match the archives"

# --- 1. krew's validator -------------------------------------------------------
validate() { # manifest, named virtwork.yaml
	"$tools/validate-krew-manifest" -manifest "$1" -skip-install >"$tmp/validate.log" 2>&1 ||
		{ cat "$tmp/validate.log" >&2; fail "validate-krew-manifest rejects $2"; }
}
validate "$manifest" "the generated manifest"
mkdir "$tmp/checked-in"
cp plugin.yaml "$tmp/checked-in/virtwork.yaml"
validate "$tmp/checked-in/virtwork.yaml" "plugin.yaml"
for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64; do
	if ! grep -A1 "os: ${p%/*}\$" "$tmp/checked-in/virtwork.yaml" | grep -q "arch: ${p#*/}\$"; then
		fail "plugin.yaml has no platform $p"
	fi
done
log "validate-krew-manifest: the generated manifest and plugin.yaml are valid"

# --- 2. krew install of every archive -------------------------------------------
krew() { # KREW_ROOT os arch args...
	local root=$1 os=$2 arch=$3
	shift 3
	env KREW_ROOT="$root" KREW_OS="$os" KREW_ARCH="$arch" KREW_NO_UPGRADE_CHECK=1 \
		PATH="$tools:$root/bin:$PATH" kubectl krew "$@" </dev/null
}
IFS=, read -ra platforms <<<"$PLATFORMS"
for p in "${platforms[@]}"; do
	os=${p%/*} arch=${p#*/} ext=tar.gz bin=kubectl-virtwork compl=kubectl_complete-virtwork
	if [[ $os == windows ]]; then ext=zip bin=kubectl-virtwork.exe compl=kubectl_complete-virtwork.cmd; fi
	root="$tmp/krew-$os-$arch"
	krew "$root" "$os" "$arch" install --manifest="$manifest" \
		--archive="$dist/kubectl-virtwork_${VERSION}_${os}_${arch}.${ext}" >"$tmp/install.log" 2>&1 ||
		{ cat "$tmp/install.log" >&2; fail "krew install of $p"; }
	store="$root/store/virtwork/$VERSION"
	for f in "$bin" LICENSE "$compl"; do
		[[ -f $store/$f ]] || fail "$p: krew did not install $f (store has: $(ls "$store"))"
	done
	[[ -e $root/bin/kubectl-virtwork || -e $root/bin/kubectl-virtwork.exe ]] || fail "$p: krew linked no kubectl-virtwork into $root/bin"
	# (krew list would want the index, which needs the network.)
	grep -q "^  version: $VERSION\$" "$root/receipts/virtwork.yaml" || fail "$p: krew's receipt does not record virtwork $VERSION"
	log "krew install $p: ok"
done

# --- 3. the plugin through kubectl -------------------------------------------------
root="$tmp/krew-linux-amd64"
kubectl_() { PATH="$root/bin:$PATH" kubectl "$@"; }
out=$(kubectl_ virtwork version)
[[ $out == "kubectl-virtwork $VERSION (commit $commit, built $date, "*", linux/amd64)" ]] ||
	fail "kubectl virtwork version printed: $out"
json=$(kubectl_ virtwork version -o json)
for field in "\"version\": \"$VERSION\"" "\"commit\": \"$commit\"" "\"date\": \"$date\"" '"platform": "linux/amd64"'; do
	[[ $json == *"$field"* ]] || fail "kubectl virtwork version -o json lacks $field: $json"
done
log "kubectl virtwork version: $out"

# Completion: the script from the archive, on PATH as the caveats say.
# Without it kubectl has nothing to offer; with it, the plugin's own.
before=$(kubectl_ __complete virtwork render --workloads cpu,d 2>/dev/null)
[[ $before != *cpu,database* ]] || fail "kubectl completed virtwork without kubectl_complete-virtwork on PATH: a check that cannot fail"
cp "$root/store/virtwork/$VERSION/kubectl_complete-virtwork" "$root/bin/"
completions=$(kubectl_ __complete virtwork render --workloads cpu,d 2>/dev/null)
if ! grep -qx 'cpu,database' <<<"$completions" || ! grep -qx 'cpu,disk' <<<"$completions"; then
	fail "kubectl __complete virtwork render --workloads cpu,d gave: $completions"
fi
commands=$(kubectl_ __complete virtwork '' 2>/dev/null)
if ! grep -q '^apply' <<<"$commands" || ! grep -q '^render' <<<"$commands"; then
	fail "kubectl __complete virtwork '' gave: $commands"
fi
log "kubectl completes kubectl virtwork through kubectl_complete-virtwork"

# --- 4. reproducible -----------------------------------------------------------------
release "$tmp/again" linux/amd64 2>"$tmp/again.log" || { cat "$tmp/again.log" >&2; fail "rebuilding linux/amd64"; }
archive="kubectl-virtwork_${VERSION}_linux_amd64.tar.gz"
first=$(sha256sum <"$dist/$archive") again=$(sha256sum <"$tmp/again/$archive")
[[ $first == "$again" ]] || fail "building $archive twice gave two sha256s: ${first%% *} and ${again%% *}"
log "rebuilt $archive: same sha256 ${first%% *}"
log "ok in $((SECONDS - start))s"
