package doctor

import (
	"slices"
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

func rbacState(t *testing.T, kube *fakeKube, objects fixedObjects, createNamespace bool) *State {
	t.Helper()
	res := resolved(deployerEKS(), "apps")
	res.Releases[0].CreateNamespace = createNamespace
	s := newState(Target{Resolved: res, LockNamespace: "apps"}, objects, nil)
	s.EKS, s.Kube = deployerEKS(), kube.kube()
	return s
}

func TestRBACCheck(t *testing.T) {
	user := &authnv1.UserInfo{Username: "kaji:kaji-e2e-user", Groups: []string{"kaji-deployers", "system:authenticated"}}
	objects := fixedObjects{
		{APIVersion: "v1", Kind: "ConfigMap", Name: "settings"},
		{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
		{APIVersion: "v1", Kind: "Service", Name: "web", Namespace: "edge"},
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "reader"},
	}
	t.Run("everything granted", func(t *testing.T) {
		kube := &fakeKube{user: user}
		f := rbacCheck(t.Context(), rbacState(t, kube, objects, false))
		// 3 lease, 5 secret and 5 verbs on each of 4 objects.
		if f.Status != OK || f.Summary != "all 28 permissions the releases need are granted" {
			t.Errorf("%s: %s", f.Status, f.Summary)
		}
		var scopes []string
		for _, a := range kube.asked {
			scopes = append(scopes, a.Verb+" "+a.Resource+" "+a.Namespace)
		}
		got := strings.Join(scopes, "\n")
		for _, want := range []string{"get leases apps", "list secrets apps", "patch deployments apps", "delete services edge", "create clusterroles "} {
			if !strings.Contains(got, want) {
				t.Errorf("never asked %q:\n%s", want, got)
			}
		}
	})
	t.Run("list secrets and create namespaces missing", func(t *testing.T) {
		kube := &fakeKube{user: user, denied: map[string]bool{"list secrets apps": true, "create namespaces ": true}}
		s := rbacState(t, kube, objects[:1], true)
		s.mappedGroups = []string{"kaji-deployers"}
		f := rbacCheck(t.Context(), s)
		if f.Status != Fail || !strings.HasPrefix(f.Summary, "2 of 15 permissions missing: list secrets in apps, create namespaces (cluster-wide)") {
			t.Fatalf("%s: %s", f.Status, f.Summary)
		}
		if !strings.Contains(strings.Join(f.Evidence, "\n"), "Helm applies namespace apps with server-side apply, even when it exists") {
			t.Errorf("evidence %q", f.Evidence)
		}
		// The fix decodes as RBAC objects, binds the mapped group, and holds what the scope needs.
		var kinds []string
		for _, doc := range strings.Split(f.Fix.Snippet.Text, "\n---\n") {
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			switch o := obj.(type) {
			case *rbacv1.Role:
				kinds = append(kinds, "Role "+o.Namespace+"/"+o.Name)
				// secrets; configmaps; leases by name (get, update) and any (create).
				if len(o.Rules) != 4 || !slices.Equal(o.Rules[2].ResourceNames, []string{"kaji-shop"}) || len(o.Rules[3].ResourceNames) != 0 {
					t.Errorf("role rules %+v", o.Rules)
				}
			case *rbacv1.RoleBinding:
				kinds = append(kinds, "RoleBinding")
				if o.Subjects[0].Kind != "Group" || o.Subjects[0].Name != "kaji-deployers" {
					t.Errorf("subject %+v", o.Subjects)
				}
			case *rbacv1.ClusterRole:
				kinds = append(kinds, "ClusterRole "+o.Name)
				if len(o.Rules) != 2 || o.Rules[0].Resources[0] != "namespaces" || o.Rules[0].Verbs[0] != "create" || o.Rules[1].ResourceNames[0] != "apps" {
					t.Errorf("cluster role rules %+v", o.Rules)
				}
			case *rbacv1.ClusterRoleBinding:
				kinds = append(kinds, "ClusterRoleBinding")
			}
		}
		if strings.Join(kinds, ", ") != "Role apps/kaji-shop, RoleBinding, ClusterRole kaji-shop, ClusterRoleBinding" {
			t.Errorf("fix objects: %s", kinds)
		}
	})
	t.Run("user subject without a mapped group", func(t *testing.T) {
		kube := &fakeKube{user: user, denied: map[string]bool{"get configmaps apps": true}}
		f := rbacCheck(t.Context(), rbacState(t, kube, objects[:1], false))
		if f.Status != Fail || !strings.Contains(f.Fix.Snippet.Text, "kind: User\n  name: kaji:kaji-e2e-user") {
			t.Errorf("%s: %s\n%s", f.Status, f.Summary, f.Fix.Snippet.Text)
		}
	})
	t.Run("unknown kinds are noted", func(t *testing.T) {
		objs := fixedObjects{{APIVersion: "example.com/v1", Kind: "Widget", Name: "w"}}
		f := rbacCheck(t.Context(), rbacState(t, &fakeKube{user: user}, objs, false))
		if f.Status != Warn || !strings.Contains(strings.Join(f.Evidence, "\n"), "the cluster does not serve example.com/v1 Widget") {
			t.Errorf("%s: %q", f.Status, f.Evidence)
		}
		// ... unless the chart brings the CRD.
		objs = append(objs, Object{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition", Name: "widgets.example.com"})
		f = rbacCheck(t.Context(), rbacState(t, &fakeKube{user: user}, objs, false))
		if strings.Contains(strings.Join(f.Evidence, "\n"), "Widget") {
			t.Errorf("noted a kind whose CRD the chart brings: %q", f.Evidence)
		}
	})
	t.Run("unauthenticated", func(t *testing.T) {
		if f := rbacCheck(t.Context(), rbacState(t, &fakeKube{}, nil, false)); f.Status != Skipped {
			t.Errorf("%s: %s", f.Status, f.Summary)
		}
	})
}

func TestRulesOf(t *testing.T) {
	needs := []need{
		{Attr: attr("get", "", "secrets")}, {Attr: attr("list", "", "secrets")},
		{Attr: attr("get", "", "configmaps")}, {Attr: attr("get", "", "services")},
		{Attr: attr("patch", "apps", "deployments")}, {Attr: attr("get", "", "configmaps")},
		{Attr: named("get", "", "configmaps", "a")}, {Attr: named("get", "", "configmaps", "b")}, {Attr: named("patch", "", "configmaps", "a")},
	}
	got := rulesOf(needs)
	want := `[{[get list] [""] [secrets] []} {[get] [""] [configmaps services] []} {[get patch] [""] [configmaps] [a]} {[get] [""] [configmaps] [b]} {[patch] ["apps"] [deployments] []}]`
	var parts []string
	for _, r := range got {
		parts = append(parts, "{"+"["+strings.Join(r.Verbs, " ")+"] [\""+r.APIGroups[0]+"\"] ["+strings.Join(r.Resources, " ")+"] ["+strings.Join(r.ResourceNames, " ")+"]}")
	}
	if s := "[" + strings.Join(parts, " ") + "]"; s != want {
		t.Errorf("rules = %s\nwant    %s", s, want)
	}
}

func named(verb, group, resource, name string) authzv1.ResourceAttributes {
	a := attr(verb, group, resource)
	a.Name = name
	return a
}

func attr(verb, group, resource string) authzv1.ResourceAttributes {
	return authzv1.ResourceAttributes{Verb: verb, Group: group, Resource: resource, Namespace: "apps"}
}
