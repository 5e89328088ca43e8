#!/usr/bin/env bash
# The quickstart demo: a local control plane, kaji apply (test, then prod), the releases and
# Helm's own record of them, drift put back, kaji destroy, and the control plane stopped again.
# It needs kaji and kube-apiserver, etcd and kubectl (make demo builds them), not the Helm CLI:
# the Secrets labelled owner=helm that it shows are what helm list reads.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBECONFIG_FILE=.cache/dev-cluster/kubeconfig
KAJI=(bin/kaji -f examples/quickstart/kaji.yaml --kubeconfig "$KUBECONFIG_FILE")
KUBECTL=("$(hack/build-controlplane.sh --print-dir)/kubectl" --kubeconfig "$KUBECONFIG_FILE")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

started=""
cleanup() {
  if [[ -n "$started" ]]; then
    step "stopping the local control plane"
    hack/dev-cluster.sh down
  fi
}
trap cleanup EXIT

if hack/dev-cluster.sh status >/dev/null; then
  echo "using the running dev cluster (make dev-cluster-down stops it)"
else
  step "starting a local control plane (kube-apiserver + etcd)"
  hack/dev-cluster.sh up
  started=yes
fi

step "kaji version"
bin/kaji version

step "kaji validate --env test: offline, before anything touches the cluster"
"${KAJI[@]}" validate --env test

step "kaji apply --env test: install settings, api and web in needs order"
"${KAJI[@]}" apply --env test --yes

step "kaji status --env test: revision 1 of each release, in sync"
"${KAJI[@]}" status --env test

step "plain Helm releases: Helm's record, one Secret per revision, is what helm list reads"
"${KUBECTL[@]}" get secrets -A -l owner=helm -L name,version,status

step "kaji apply --env prod: prod values (3 replicas, another greeting) become revision 2"
"${KAJI[@]}" apply --env prod --yes

step "revision 2, with web's prod values on the live Deployment"
"${KAJI[@]}" status --env prod
"${KUBECTL[@]}" get deployments,services,configmaps -n quickstart-apps

step "someone runs kubectl scale by hand; kaji plan shows the drift"
"${KUBECTL[@]}" scale deployment web -n quickstart-apps --replicas=5
"${KAJI[@]}" plan --env prod

step "kaji apply --env prod puts it back"
"${KAJI[@]}" apply --env prod --yes
"${KUBECTL[@]}" get deployment web -n quickstart-apps

step "kaji destroy: uninstall in reverse order"
"${KAJI[@]}" destroy --yes

step "after destroy, no Helm release is left"
"${KUBECTL[@]}" get secrets -A -l owner=helm

printf '\n\033[1mdemo finished\033[0m\n'
