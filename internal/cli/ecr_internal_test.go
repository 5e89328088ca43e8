package cli

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/secrets"
)

// eksECRWorld: deployer may assume chart-puller, which may get ECR tokens.
const eksECRWorld = `
accounts:
  - id: "111122223333"
    users:
      - name: deployer
        accessKeys:
          - {id: AKIADEPLOYER00000001, secret: deployer-secret-key-0000000000000000001}
        policies:
          - name: token
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
    roles:
      - name: chart-puller
        trustPolicy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: sts:AssumeRole}
        policies:
          - name: token
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
`

// The ECR token of a project on EKS is asked as the cluster's role, even before the session
// dials the cluster (apply validates its charts first); with a kubeconfig flag, as the
// ambient identity.
func TestECRTokenIdentity(t *testing.T) {
	sim := awssim.StartT(t, eksECRWorld)
	sim.SetEnv(t, "AKIADEPLOYER00000001", "us-east-1")
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	body := `apiVersion: kaji.dev/v1alpha1
project: ecr-identity
cluster:
  eks: {name: prod, region: eu-west-1, roleArn: "arn:aws:iam::111122223333:role/chart-puller", sessionName: kaji-ci}
releases: []
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	host := awssim.ECRRegistryHost("111122223333", "eu-west-1")

	tests := []struct {
		name       string
		kubeconfig string
		want       string
	}{
		{"cluster.eks with a role", "", "arn:aws:sts::111122223333:assumed-role/chart-puller/kaji-ci"},
		{"a kubeconfig flag", "/nonexistent/kubeconfig", "arn:aws:iam::111122223333:user/deployer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sim.Calls())
			g := &globalFlags{file: file, kubeconfig: tt.kubeconfig, inflight: newInflight(), secrets: secrets.NewRegistry()}
			if _, err := g.prepare(); err != nil {
				t.Fatal(err)
			}
			if _, _, ok, err := g.ecrAuth.Credentials(t.Context(), host); !ok || err != nil {
				t.Fatalf("ok %v, err %v", ok, err)
			}
			var got []string
			for _, c := range sim.Calls()[before:] {
				if c.Action == "GetAuthorizationToken" {
					got = append(got, c.Caller)
				}
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("GetAuthorizationToken asked as %v, want once as %s", got, tt.want)
			}
		})
	}
}

// oneAssumeWorld: deployer may assume deployer-role, which may get ECR tokens and describe
// the cluster prod.
const oneAssumeWorld = `
accounts:
  - id: "111122223333"
    users:
      - name: deployer
        accessKeys:
          - {id: AKIADEPLOYER00000001, secret: deployer-secret-key-0000000000000000001}
    roles:
      - name: deployer-role
        trustPolicy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: sts:AssumeRole}
        policies:
          - name: deploy
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
                - {Effect: Allow, Action: eks:DescribeCluster, Resource: "arn:aws:eks:eu-west-1:111122223333:cluster/prod"}
clusters:
  - name: prod
    account: "111122223333"
    region: eu-west-1
    version: "1.33"
`

// A run that asks for an ECR token (validation loads the charts first) and then connects to
// its EKS cluster assumes the cluster's role once, and acts as that one session for both.
func TestOneAssumeRolePerRun(t *testing.T) {
	sim := awssim.StartT(t, oneAssumeWorld)
	sim.SetEnv(t, "AKIADEPLOYER00000001", "us-east-1")
	// The cluster's endpoint: connecting only describes it and prepares its clients.
	api := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(api.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	if err := sim.SetClusterEndpoint("prod", api.URL, ca); err != nil {
		t.Fatal(err)
	}
	g, s := roleProject(t, "one-assume", "arn:aws:iam::111122223333:role/deployer-role", awssim.ECRRegistryHost("111122223333", "eu-west-1"))
	if _, cfg, err := g.connectAWS(t.Context(), s.resolved.Cluster); err != nil || cfg == nil {
		t.Fatalf("connect: %v (AWS configuration %v)", err, cfg)
	}
	assumes := 0
	want := map[string]bool{"GetAuthorizationToken": true, "DescribeCluster": true}
	for _, c := range sim.Calls() {
		switch {
		case c.Action == "AssumeRole":
			assumes++
		case want[c.Action]:
			delete(want, c.Action)
			if c.Caller != "arn:aws:sts::111122223333:assumed-role/deployer-role/kaji-ci" {
				t.Errorf("%s asked as %s, want the assumed role", c.Action, c.Caller)
			}
		}
	}
	if assumes != 1 || len(want) != 0 {
		t.Errorf("%d AssumeRole calls, want 1; calls not made: %v", assumes, want)
	}
}

// roleProject writes a kaji.yaml (project name) of no release whose cluster is prod in
// eu-west-1, reached through role with the session name kaji-ci, prepares a run of it, and
// asks for an ECR token of host, as validation does before the run dials the cluster.
func roleProject(t *testing.T, name, role, host string) (*globalFlags, *session) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	body := `apiVersion: kaji.dev/v1alpha1
project: ` + name + `
cluster:
  eks: {name: prod, region: eu-west-1, roleArn: "` + role + `", sessionName: kaji-ci}
releases: []
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &globalFlags{file: file, inflight: newInflight(), secrets: secrets.NewRegistry()}
	s, err := g.prepare()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := g.ecrAuth.Credentials(t.Context(), host); !ok || err != nil {
		t.Fatalf("ECR credentials: ok %v, err %v", ok, err)
	}
	return g, s
}
