#!/usr/bin/env bash
# A local control plane (kube-apiserver + etcd on 127.0.0.1, no nodes, no controllers) that
# outlives this script, for trying kaji by hand.
#
#   hack/dev-cluster.sh up      start it, or do nothing if it runs; wait until it is ready
#   hack/dev-cluster.sh down    stop it and remove .cache/dev-cluster
#   hack/dev-cluster.sh status  say whether it runs
#
# Once up: KUBECONFIG=.cache/dev-cluster/kubeconfig (context kaji-dev). Component logs are in
# .cache/dev-cluster/ while it runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.cache/dev-cluster"
pidfile="$state/devcluster.pid"
kubeconfig="$state/kubeconfig"
log="$state/devcluster.log"
ready_timeout=180

# running succeeds when the pid file names a live devcluster process.
running() {
	local pid
	[[ -f "$pidfile" ]] || return 1
	pid="$(cat "$pidfile")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	if [[ -r "/proc/$pid/comm" ]]; then # guard against a reused pid
		[[ "$(cat "/proc/$pid/comm")" == devcluster ]] || return 1
	fi
}

wait_ready() {
	local waited=0 pid
	pid="$(cat "$pidfile")"
	until [[ -f "$kubeconfig" ]]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "error: the dev cluster exited while starting; its log:" >&2
			tail -n 30 "$log" >&2 || true
			exit 1
		fi
		if ((waited >= ready_timeout * 2)); then
			echo "error: the dev cluster is not ready after ${ready_timeout}s; see $state" >&2
			exit 1
		fi
		sleep 0.5
		waited=$((waited + 1))
	done
}

up() {
	if running; then
		wait_ready
		echo "dev cluster already running (pid $(cat "$pidfile"))"
		usage_hint
		return
	fi
	"$root/hack/build-controlplane.sh" demo >/dev/null
	mkdir -p "$state"
	rm -f "$pidfile" "$kubeconfig"
	# Static and with -trimpath, as kaji and the control plane are built: it reuses their packages.
	(cd "$root" && GOWORK=off CGO_ENABLED=0 go build -trimpath -o "$state/devcluster" ./hack/devcluster)

	# Its own session, so that signals to this terminal or to make do not reach it.
	local launcher=()
	if command -v setsid >/dev/null; then
		launcher=(setsid)
	fi
	(cd "$root" && exec nohup "${launcher[@]}" "$state/devcluster" --dir "$state" >"$log" 2>&1 </dev/null) &
	echo $! >"$pidfile"
	wait_ready
	echo "dev cluster up (pid $(cat "$pidfile"))"
	usage_hint
}

usage_hint() {
	echo "  export KUBECONFIG=$kubeconfig   # context kaji-dev"
	echo "  stop it with: make dev-cluster-down"
}

down() {
	if running; then
		local pid waited=0
		pid="$(cat "$pidfile")"
		kill -TERM "$pid"
		while kill -0 "$pid" 2>/dev/null; do
			if ((waited >= 120)); then # 60s: stop it hard; its children follow it
				echo "dev cluster (pid $pid) did not stop in 60s; killing it" >&2
				kill -KILL "$pid" 2>/dev/null || true
				break
			fi
			sleep 0.5
			waited=$((waited + 1))
		done
		echo "dev cluster stopped"
	else
		echo "dev cluster not running"
	fi
	rm -rf "$state"
}

status() {
	if running; then
		echo "dev cluster running (pid $(cat "$pidfile")); KUBECONFIG=$kubeconfig"
	else
		echo "dev cluster not running"
		return 1
	fi
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
