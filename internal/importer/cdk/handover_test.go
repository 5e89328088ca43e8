package cdk

import (
	"strings"
	"testing"

	"kaji.dev/kaji/internal/importer"
)

func TestHandOver(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		// titles are the beginnings of the steps' titles, in order.
		titles []string
		// items are the items of the RETAIN step, by beginning.
		items []string
		code  bool
	}{
		{
			name: "whole app", opts: Options{},
			titles: []string{"Resolve the 7 placeholders", "Before removing anything, set the removal policy", "Deploy that change alone",
				"Remove the HelmCharts", "Check that kaji sees", "Adopt them"},
			items: []string{
				"release podinfo in namespace apps (cdk.out/assembly-Staging/StagingApps4E62E6EA.template.json: ClusterchartPodinfoDD649BF0)",
				"release ingress-nginx in namespace ingress-nginx (cdk.out/Platform.template.json: ClusterchartIngressNginxA04FA2C9)",
				"release platformcache9df917de in namespace cache",
				"release grafana in namespace monitoring",
				"release hello in namespace default",
				"release aws-load-balancer-controller in namespace kube-system (cdk.out/PlatformAddonsDD295DE5.nested.template.json: LoadBalancerController88307884)",
				"release external-dns in namespace external-dns (cdk.out/Tools.template.json: ExternalDns122DB255): already RETAIN",
				"release sealed-secrets in namespace kube-system (cdk.out/Tools.template.json: SealedSecrets3E1D5074): already RETAIN",
			},
			code: true,
		},
		{
			name: "retained stack resolved", opts: Options{Stack: "Tools", Region: "eu-west-1", Account: "111111111111"},
			titles: []string{"Resolve the 1 placeholders", "Every HelmChart's removal policy is already RETAIN", "Remove the HelmCharts", "Check that kaji sees", "Adopt them"},
			items: []string{
				"release external-dns in namespace external-dns (cdk.out/Tools.template.json: ExternalDns122DB255): already RETAIN",
				"release sealed-secrets in namespace kube-system (cdk.out/Tools.template.json: SealedSecrets3E1D5074): already RETAIN",
			},
		},
		{
			name: "nothing to resolve", opts: Options{Stack: "Staging/Apps"},
			titles: []string{"Before removing anything", "Deploy that change alone", "Remove the HelmCharts", "Check that kaji sees", "Adopt them"},
			items:  []string{"release podinfo in namespace apps"},
			code:   true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := mustRead(t, tc.opts)
			steps := HandOver(found)
			if len(steps) != len(tc.titles) {
				t.Fatalf("%d steps, want %d: %+v", len(steps), len(tc.titles), steps)
			}
			for i, title := range tc.titles {
				if !strings.HasPrefix(steps[i].Title, title) {
					t.Errorf("step %d is %q, want it to begin %q", i, steps[i].Title, title)
				}
			}
			retain := steps[0]
			if strings.HasPrefix(retain.Title, "Resolve") {
				retain = steps[1]
			}
			if len(retain.Items) != len(tc.items) {
				t.Fatalf("RETAIN step items %q, want %d", retain.Items, len(tc.items))
			}
			for i, item := range tc.items {
				if !strings.HasPrefix(retain.Items[i], item) {
					t.Errorf("item %d is %q, want it to begin %q", i, retain.Items[i], item)
				}
			}
			code := strings.Join(retain.Code, "\n")
			for _, s := range []string{"removalPolicy: RemovalPolicy.RETAIN", "(chart.node.defaultChild as CustomResource).applyRemovalPolicy(RemovalPolicy.RETAIN)"} {
				if strings.Contains(code, s) != tc.code {
					t.Errorf("code %q: has %q is %v, want %v", code, s, !tc.code, tc.code)
				}
			}
			last := steps[len(steps)-1]
			if len(last.Commands) != 1 || last.Commands[0] != "kaji apply" {
				t.Errorf("last step runs %q, want kaji apply", last.Commands)
			}
		})
	}
}

func TestHandOverNothing(t *testing.T) {
	if steps := HandOver(&importer.Found{Kind: importer.KindCDK}); steps != nil {
		t.Errorf("steps for no releases: %+v", steps)
	}
	if steps := HandOver(nil); steps != nil {
		t.Errorf("steps for nil: %+v", steps)
	}
}
