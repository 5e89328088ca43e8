package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kaji.dev/kaji/internal/render/corpus"
)

// corpusPick is one release from the shared chart corpus: a chart, one of its ci/ values
// files that the corpus manifest says renders ("" for the defaults), with the manifest's
// extra --set flags for it, and the benchmark's own --set flags.
type corpusPick struct {
	chart  string
	values string
	// sets are the benchmark's --set flags, each one needed to install on a bare control
	// plane (no nodes, no controllers, no webhook servers) without waiting.
	sets []string
	// key is a pod annotation of the chart's main workload.
	key string
}

// corpusPicks are the corpus releases, once each, in release order; the one-change
// operations change release 0. Every chart of the corpus is here, each once, with a values
// file that installs as is or with the sets noted. Each installs in its own namespace, and
// the cluster-scoped objects of each either carry the release name or are made by that one
// chart only (aws-vpc-cni's aws-node ClusterRole, ingress-nginx's IngressClass nginx,
// aws-load-balancer-controller's webhook configurations and IngressClass alb, the server
// ClusterRole that prometheus's ci file names, argo-rollouts' CRDs), which is also why the
// releases beyond these are copies of the helm create chart rather than of corpus charts.
var corpusPicks = []corpusPick{
	// Server and Alertmanager as StatefulSets (their volumeClaimTemplates make no PVC
	// without a controller), with kube-state-metrics, node-exporter and pushgateway
	// subcharts: 23 objects. The defaults would make a standalone PVC, whose
	// kubernetes.io/pvc-protection finalizer no controller removes, so that the next
	// cycle's install would find it still terminating.
	{chart: "prometheus", values: "ci/06-server-sts-values.yaml", key: "server.podAnnotations.greeting"},
	// Dashboards from grafana.com are fetched by an init container, which never runs here.
	// The test hooks run only under `helm test`. The first upgrade after the install changes
	// the checksum/secret annotation (the random admin password is quoted, the one that
	// lookup finds is not), for kaji and helm alike; later ones do not.
	{chart: "grafana", values: "ci/with-dashboard-values.yaml", key: "podAnnotations.greeting"},
	// The admission webhook's certificate is made by pre- and post-install hook Jobs, which
	// would never complete, and its ValidatingWebhookConfiguration (failurePolicy Fail, no
	// server) would reject every Ingress: both off, as in clusters that run without them.
	{chart: "ingress-nginx", values: "ci/controller-configmap-values.yaml",
		sets: []string{"controller.admissionWebhooks.enabled=false"}, key: "controller.podAnnotations.greeting"},
	{chart: "kube-state-metrics", values: "ci/01-default-values.yaml", key: "podAnnotations.greeting"},
	{chart: "prometheus-node-exporter", values: "ci/common-labels-values.yaml", key: "podAnnotations.greeting"},
	// No ci/ files: the defaults. The passwords are random, kept across upgrades by lookup.
	{chart: "redis", key: "master.podAnnotations.greeting"},
	{chart: "postgresql", key: "primary.podAnnotations.greeting"},
	// CRDs in templates/ (installCRDs), kept on uninstall by helm.sh/resource-policy: keep
	// and adopted again by the next install of the same release.
	{chart: "argo-rollouts", values: "ci/default-values.yaml", key: "controller.podAnnotations.greeting"},
	// CRDs in crds/. Two of its webhooks would intercept every Service and every Ingress of
	// the cluster with failurePolicy Fail and no server behind them, so that every later
	// install fails: both off. The rest stay: they match only pods in namespaces labelled
	// for them and the chart's own custom resources. keepTLSSecret reuses the webhook
	// certificate through lookup; without it every render (a plan, a helm upgrade) makes a
	// new CA, so that the release is never in sync.
	{chart: "aws-load-balancer-controller", values: "ci/values.yaml",
		sets: []string{"enableServiceMutatorWebhook=false", "webhookConfig.disableIngressValidation=true", "keepTLSSecret=true"},
		key:  "podAnnotations.greeting"},
	{chart: "aws-for-fluent-bit", key: "annotations.greeting"},
	// CRDs in crds/ (ENIConfig).
	{chart: "aws-vpc-cni", key: "podAnnotations.greeting"},
}

// corpusReleases returns the releases of corpusPicks, at most n, named after their charts,
// checked against the corpus manifest in dir (or the default corpus when dir is empty).
func corpusReleases(dir string, n int) ([]release, error) {
	if dir == "" {
		var err error
		if dir, err = corpus.Dir(); err != nil {
			return nil, err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cases, err := corpus.Cases(dir)
	if err != nil {
		return nil, err
	}
	var rels []release
	for i, p := range corpusPicks[:min(n, len(corpusPicks))] {
		c, err := findCase(cases, p)
		if err != nil {
			return nil, err
		}
		sets, err := setFlags(c.Flags)
		if err != nil {
			return nil, fmt.Errorf("corpus case %s: %w", c, err)
		}
		r := release{name: p.chart, namespace: nsName(i), chart: c.ChartDir, origin: p.chart,
			sets: append(sets, p.sets...), key: p.key}
		if c.ValuesFile != "" {
			r.valuesFiles = []string{c.ValuesFile}
		}
		if _, err := os.Stat(c.ChartDir); err != nil {
			return nil, fmt.Errorf("corpus chart: %w", err)
		}
		rels = append(rels, r)
	}
	return rels, nil
}

// findCase finds the corpus case of p: a values file that renders, or the default render.
func findCase(cases []corpus.Case, p corpusPick) (corpus.Case, error) {
	name := p.values
	if name == "" {
		name = "default"
	}
	for _, c := range cases {
		if c.Chart == p.chart && c.Name == name {
			return c, nil
		}
	}
	return corpus.Case{}, fmt.Errorf("corpus has no chart %s with values %s that renders (see its MANIFEST.json)", p.chart, name)
}

// setFlags turns a corpus case's extra flags into --set arguments; the manifest has no other
// kind of flag for the picked cases.
func setFlags(flags []string) ([]string, error) {
	var sets []string
	for i := 0; i < len(flags); i++ {
		flag, arg, inline := strings.Cut(flags[i], "=")
		if !inline {
			if i+1 >= len(flags) {
				return nil, fmt.Errorf("flag %s has no argument", flag)
			}
			i++
			arg = flags[i]
		}
		if flag != "--set" {
			return nil, fmt.Errorf("flag %s is not supported, only --set", flag)
		}
		sets = append(sets, arg)
	}
	return sets, nil
}
