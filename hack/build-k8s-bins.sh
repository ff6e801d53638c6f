#!/usr/bin/env bash
# build-k8s-bins.sh builds the control-plane binaries the integration tests and
# the dev cluster run: kube-apiserver, kube-controller-manager and
# kube-scheduler from k8s.io/kubernetes, and etcd from
# go.etcd.io/etcd/server/v3. Nothing is
# downloaded except Go modules through the module proxy.
#
# Each binary set is built in its own throw-away module under the cache dir
# (never in this repository), which lists the commands as Go tool directives.
# The binaries land in
#   ${VIRTWORK_K8S_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/virtwork/k8s-bins/v1.37.2}
# and the script does nothing when the binaries there already report the
# expected versions; of the Kubernetes commands it builds only those missing
# or at another version (the module build cache keeps that quick). It
# prints the bin dir on stdout as its last line.
set -euo pipefail

K8S_VERSION=v1.37.2
STAGING_VERSION=v0.37.2
ETCD_VERSION=v3.7.3

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/virtwork"
bin_dir="${VIRTWORK_K8S_BIN_DIR:-$cache_root/k8s-bins/$K8S_VERSION}"
work_root="$cache_root/build"

log() { printf 'build-k8s-bins: %s\n' "$*" >&2; }

# has_version BIN WANT reports whether BIN exists and its --version output
# contains WANT.
has_version() {
	local bin=$1 want=$2 out
	[[ -x $bin ]] || return 1
	out=$("$bin" --version 2>&1) || return 1
	[[ $out == *"$want"* ]]
}

kube_cmds=(kube-apiserver kube-controller-manager kube-scheduler)

# kube_missing prints the Kubernetes commands not (yet) at K8S_VERSION.
kube_missing() {
	local cmd
	for cmd in "${kube_cmds[@]}"; do
		has_version "$bin_dir/$cmd" "Kubernetes $K8S_VERSION" || printf '%s\n' "$cmd"
	done
}

etcd_ok() {
	has_version "$bin_dir/etcd" "etcd Version: ${ETCD_VERSION#v}"
}

# new_module DIR PATH creates (or resets) a throw-away module. The go.sum and
# the module cache are kept, so a rebuild after a failed one stays warm.
new_module() {
	local dir=$1 path=$2
	mkdir -p "$dir"
	rm -f "$dir/go.mod"
	(cd "$dir" && go mod init "$path" >/dev/null 2>&1 && go mod edit -go="$(go env GOVERSION | sed 's/^go//')")
}

# origin_hash MODULE@VERSION prints the VCS commit the proxy recorded for a
# module version, or nothing.
origin_hash() {
	(cd "$1" && go mod download -json "$2" | awk -F'"' '$2 == "Hash" { print $4; exit }')
}

# build_kube CMD... builds the named commands of k8s.io/kubernetes.
build_kube() {
	local dir="$work_root/kubernetes-$K8S_VERSION"
	log "building $* $K8S_VERSION in $dir"
	new_module "$dir" virtwork.local/k8s-bins/kubernetes

	local gomod
	gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | awk -F'"' '$2 == "GoMod" { print $4; exit }')
	[[ -f $gomod ]] || {
		log "cannot find go.mod of k8s.io/kubernetes@$K8S_VERSION"
		return 1
	}

	# k8s.io/kubernetes points its staging modules at ./staging/src/...;
	# those replaces do not apply to a dependent module, so pin each one to
	# the published release of the same staging tag.
	local replaces=() mod
	while read -r mod; do
		replaces+=("-replace=$mod=$mod@$STAGING_VERSION")
	done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// { print $1 }' "$gomod")
	if ((${#replaces[@]} < 20)); then
		log "found only ${#replaces[@]} staging replaces in $gomod; its layout changed"
		return 1
	fi
	log "pinning ${#replaces[@]} staging modules to $STAGING_VERSION"
	(cd "$dir" && go mod edit "${replaces[@]}" -require="k8s.io/kubernetes@$K8S_VERSION")

	local tools=() cmd
	for cmd in "${kube_cmds[@]}"; do
		tools+=("k8s.io/kubernetes/cmd/$cmd@$K8S_VERSION")
	done
	(cd "$dir" && go get -tool "${tools[@]}" && go mod tidy)

	local commit minor ldflags
	commit=$(origin_hash "$dir" "k8s.io/kubernetes@$K8S_VERSION")
	minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	ldflags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$K8S_VERSION"
		ldflags+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		ldflags+=" -X $pkg.gitTreeState=clean"
		ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
		[[ -z $commit ]] || ldflags+=" -X $pkg.gitCommit=$commit"
	done

	mkdir -p "$bin_dir"
	for cmd in "$@"; do
		(cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
			-o "$bin_dir/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
		mv "$bin_dir/$cmd.tmp" "$bin_dir/$cmd"
	done
}

build_etcd() {
	local dir="$work_root/etcd-$ETCD_VERSION"
	log "building etcd $ETCD_VERSION in $dir"
	new_module "$dir" virtwork.local/k8s-bins/etcd
	(cd "$dir" &&
		go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" &&
		go mod tidy)

	local commit ldflags="-s -w"
	commit=$(origin_hash "$dir" "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
	[[ -z $commit ]] || ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:7}"

	mkdir -p "$bin_dir"
	(cd "$dir" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
		-o "$bin_dir/etcd.tmp" go.etcd.io/etcd/server/v3)
	mv "$bin_dir/etcd.tmp" "$bin_dir/etcd"
}

main() {
	if ! etcd_ok; then
		build_etcd
		etcd_ok || {
			log "$bin_dir/etcd does not report $ETCD_VERSION"
			return 1
		}
	fi
	local missing
	mapfile -t missing < <(kube_missing)
	if ((${#missing[@]} > 0)); then
		build_kube "${missing[@]}"
		mapfile -t missing < <(kube_missing)
		if ((${#missing[@]} > 0)); then
			log "${missing[*]} in $bin_dir do not report $K8S_VERSION"
			return 1
		fi
	fi
	log "up to date: $bin_dir"
	printf '%s\n' "$bin_dir"
}

main "$@"
