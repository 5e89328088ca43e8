package cli

import (
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
