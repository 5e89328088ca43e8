package view

import (
	"strings"
	"testing"

	"kaji.dev/kaji/internal/plan"
)

// A CRD is summarised per version, not shown whole.
func TestCRDIsSummarisedPerVersion(t *testing.T) {
	crd := plan.ObjectRef{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition", Name: "widgets.example.com"}
	for _, tt := range []struct {
		name string
		c    plan.ObjectChange
		want string
	}{
		{
			name: "create",
			c: plan.ObjectChange{Object: crd, Action: plan.ChangeCreate, Planned: map[string]any{"spec": map[string]any{"versions": []any{
				map[string]any{"name": "v1", "served": true, "storage": true},
				map[string]any{"name": "v1beta1", "served": false, "storage": false},
			}}}},
			want: "    versions: v1 (served, storage), v1beta1 (not served)\n",
		},
		{
			name: "update",
			c: plan.ObjectChange{Object: crd, Action: plan.ChangeUpdate, Diff: []plan.FieldChange{
				{Path: "spec.versions[name=v1].schema.openAPIV3Schema.properties.spec.properties.color", Op: plan.FieldAdd},
				{Path: "spec.versions[name=v1].schema.openAPIV3Schema.properties.spec.properties.size.type", Op: plan.FieldReplace},
				{Path: "spec.versions[name=v2].served", Op: plan.FieldReplace},
				{Path: "metadata.annotations.meta.helm.sh/release-name", Op: plan.FieldAdd},
			}},
			want: "    version v1: 2 schema field(s) change\n" +
				"    changes spec.versions[name=v2].served (replace)\n" +
				"    changes metadata.annotations.meta.helm.sh/release-name (add)\n",
		},
	} {
		var b strings.Builder
		writeCRD(&b, tt.c)
		if b.String() != tt.want {
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, b.String(), tt.want)
		}
	}
}
