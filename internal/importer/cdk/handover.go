package cdk

import (
	"fmt"

	"kaji.dev/kaji/internal/importer"
)

// retainCode is the change that keeps a release on the cluster when its HelmChart leaves the
// app. The removalPolicy option exists in newer aws-cdk-lib versions; applyRemovalPolicy on
// the chart's custom resource (its default child) works in every aws-cdk-lib v2.
func retainCode() []string {
	return []string{
		"import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';",
		"",
		"// aws-cdk-lib versions whose HelmChart options have removalPolicy:",
		"new eks.HelmChart(this, 'Chart', { /* as before */ removalPolicy: RemovalPolicy.RETAIN });",
		"cluster.addHelmChart('Chart', { /* as before */ removalPolicy: RemovalPolicy.RETAIN });",
		"",
		"// any aws-cdk-lib v2: on the chart's custom resource",
		"(chart.node.defaultChild as CustomResource).applyRemovalPolicy(RemovalPolicy.RETAIN);",
	}
}

// HandOver returns the steps that move the releases found in a CDK app to kaji without
// uninstalling them. Deleting a HelmChart from the app (or its stack) makes CloudFormation
// delete the custom resource, whose handler runs helm uninstall, unless the resource's
// removal policy is RETAIN: that comes first, deployed on its own, before anything is removed.
func HandOver(found *importer.Found) []importer.Step {
	if found == nil || len(found.Releases) == 0 {
		return nil
	}
	var steps []importer.Step
	blocking := found.Blocking()
	if blocking > 0 {
		steps = append(steps, importer.Step{
			Title: fmt.Sprintf("Resolve the %d placeholders and missing pieces that kaji import listed, so that it describes the releases as they run", blocking),
		})
	}

	var toRetain, retained []string
	for _, r := range found.Releases {
		item := fmt.Sprintf("release %s in namespace %s (%s)", r.Name, r.Namespace, r.Origin)
		if isRetained(r) {
			retained = append(retained, item+": already RETAIN")
			continue
		}
		toRetain = append(toRetain, item)
	}
	if len(toRetain) > 0 {
		steps = append(steps,
			importer.Step{
				Title: "Before removing anything, set the removal policy of each HelmChart to RETAIN: " +
					"removing a HelmChart from the CDK app, or deleting its stack, otherwise makes CloudFormation run helm uninstall on its release",
				Items: append(toRetain, retained...),
				Code:  retainCode(),
			},
			importer.Step{
				Title: `Deploy that change alone and check it: the synthesized template has "DeletionPolicy": "Retain" on each HelmChart resource. ` +
					"A change of removal policy does not run the charts' handler: the releases are not touched",
				Commands: []string{"cdk diff", "cdk deploy --all"},
			})
	} else {
		steps = append(steps, importer.Step{
			Title: "Every HelmChart's removal policy is already RETAIN: removing them leaves their releases on the cluster",
			Items: retained,
		})
	}
	steps = append(steps,
		importer.Step{
			Title: "Remove the HelmCharts from the CDK app and deploy: CloudFormation forgets them and leaves the releases running",
			Items: releaseNames(found),
			Commands: []string{
				"cdk diff",
				"cdk deploy --all",
			},
		},
		importer.Step{
			Title:    "Check that kaji sees the releases as they run: plan shows each one in sync, to be adopted; a change means kaji.yaml differs from what the app set",
			Commands: []string{"kaji plan"},
		},
		importer.Step{
			Title:    "Adopt them: apply marks each release as this project's, without a new revision when it is in sync",
			Commands: []string{"kaji apply"},
		})
	return steps
}

func isRetained(r importer.Release) bool {
	for _, n := range r.Notes {
		if n.Message == retainedMessage {
			return true
		}
	}
	return false
}

func releaseNames(found *importer.Found) []string {
	names := make([]string, len(found.Releases))
	for i, r := range found.Releases {
		names[i] = fmt.Sprintf("release %s in namespace %s (%s)", r.Name, r.Namespace, r.Origin)
	}
	return names
}
