#!/usr/bin/env bash
# dev-cluster.sh up|down|kubeconfig|prometheus-url manages a local control
# plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) with
# the KubeVirt and CDI CRDs, the VMI simulator with four Nodes on which
# kube-scheduler places the VMs' virt-launcher Pods and its KubeVirt
# metrics, and a Prometheus scraping them (hack/dev-cluster), on 127.0.0.1
# only, for trying kubectl-virtwork without a cluster.
#
#   up              build what is missing, start in the background, wait
#                   until ready, print "export KUBECONFIG=..." on stdout and
#                   the Prometheus URL on stderr
#   down            stop exactly the processes recorded in the state dir
#   kubeconfig      print the kubeconfig path
#   prometheus-url  print the URL of its Prometheus (fails when none runs)
#
# VIRTWORK_DEV_CLUSTER_RULES: comma-separated rule files Prometheus loads
# (read at up). Without Debian's prometheus installed it runs without one.
#
# State (kubeconfig, pids, Prometheus URL, logs) lives in
#   ${XDG_STATE_HOME:-$HOME/.local/state}/virtwork/dev-cluster
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="${XDG_STATE_HOME:-$HOME/.local/state}/virtwork/dev-cluster"
supervisor_pid_file="$state/dev-cluster.pid"
ready_timeout=${VIRTWORK_DEV_CLUSTER_TIMEOUT:-300}

log() { printf 'dev-cluster: %s\n' "$*" >&2; }

# alive PID NAME: PID is running and is the program NAME (so a recycled PID
# is never signalled).
alive() {
	local pid=$1 name=$2 exe
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[[ ${exe##*/} == "$name" || ${exe##*/} == "$name (deleted)" ]]
}

supervisor_pid() {
	[[ -f $supervisor_pid_file ]] && cat "$supervisor_pid_file"
}

# prometheus_url prints the URL of the running dev cluster's Prometheus.
prometheus_url() {
	local pid
	pid=$(supervisor_pid || true)
	if [[ -z $pid ]] || ! alive "$pid" dev-cluster || [[ ! -f $state/ready ]]; then
		echo "dev-cluster: not running; start it with: make dev-cluster" >&2
		return 1
	fi
	if [[ ! -s $state/prometheus-url ]]; then
		echo "dev-cluster: running without Prometheus (is Debian's prometheus installed? make test-deps; then make dev-cluster-down dev-cluster)" >&2
		return 1
	fi
	cat "$state/prometheus-url"
}

# log_prometheus says where Prometheus is, or that there is none.
log_prometheus() {
	local url
	if url=$(prometheus_url 2>/dev/null); then
		log "Prometheus: $url"
	else
		log "no Prometheus (see $state/dev-cluster.log)"
	fi
}

up() {
	mkdir -p "$state"
	local pid
	pid=$(supervisor_pid || true)
	if [[ -n $pid ]] && alive "$pid" dev-cluster && [[ -f $state/ready ]]; then
		log "already running (pid $pid)"
		log_prometheus
		printf 'export KUBECONFIG=%s\n' "$state/kubeconfig"
		return
	fi

	local bin_dir
	bin_dir=$(nice -n 10 "$repo/hack/build-k8s-bins.sh" | tail -n 1)
	(cd "$repo" && go build -o "$state/dev-cluster" ./hack/dev-cluster)

	rm -f "$state/ready"
	# A session of its own, so a Ctrl-C in the terminal that ran "up" (or
	# "make demo") does not reach it; only "down" stops it.
	setsid "$state/dev-cluster" -state-dir "$state" -bin-dir "$bin_dir" \
		-prometheus-rules "${VIRTWORK_DEV_CLUSTER_RULES:-}" \
		>"$state/dev-cluster.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$supervisor_pid_file"
	log "starting (pid $pid, log $state/dev-cluster.log)"

	local deadline=$((SECONDS + ready_timeout))
	until [[ -f $state/ready ]]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log "exited before becoming ready; last lines of its log:"
			tail -n 30 "$state/dev-cluster.log" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "not ready after ${ready_timeout}s; stopping it"
			down
			return 1
		fi
		sleep 0.5
	done
	log "ready: kubectl get vm,vmi -A"
	log_prometheus
	printf 'export KUBECONFIG=%s\n' "$state/kubeconfig"
}

down() {
	local pid names=() pids=() name p
	pid=$(supervisor_pid || true)
	if [[ -f $state/pids ]]; then
		while read -r name p; do
			names+=("$name")
			pids+=("$p")
		done <"$state/pids"
	elif [[ -n $pid ]]; then
		names=(dev-cluster)
		pids=("$pid")
	fi
	if ((${#pids[@]} == 0)); then
		log "not running"
		return
	fi
	# The supervisor stops its children in order on SIGTERM; the children
	# are signalled directly only if they outlive it.
	local i deadline
	for i in "${!pids[@]}"; do
		if [[ ${names[i]} == dev-cluster ]] && alive "${pids[i]}" dev-cluster; then
			kill -TERM "${pids[i]}"
		fi
	done
	deadline=$((SECONDS + 30))
	for i in "${!pids[@]}"; do
		while alive "${pids[i]}" "${names[i]}" && ((SECONDS < deadline)); do
			sleep 0.2
		done
		if alive "${pids[i]}" "${names[i]}"; then
			log "${names[i]} (pid ${pids[i]}) still running; killing it"
			kill -KILL "${pids[i]}" 2>/dev/null || true
		fi
	done
	rm -f "$state/pids" "$state/ready" "$state/prometheus-url" "$supervisor_pid_file"
	log "stopped"
}

case "${1:-}" in
up) up ;;
down) down ;;
kubeconfig) printf '%s\n' "$state/kubeconfig" ;;
prometheus-url) prometheus_url ;;
*)
	echo "usage: $0 up|down|kubeconfig|prometheus-url" >&2
	exit 2
	;;
esac
