package cli

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ekssdk "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/secrets/secretstest"
)

// TestOneAssumeRolePerRunOnMoto is TestOneAssumeRolePerRun against moto_server, an AWS
// emulator written apart from kaji's simulator: the requests pass through a proxy that
// counts sts:AssumeRole, since moto keeps no count of its own.
func TestOneAssumeRolePerRunOnMoto(t *testing.T) {
	m := secretstest.StartMoto(t)
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	var assumes atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	counter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if values, err := url.ParseQuery(string(body)); err == nil && values.Get("Action") == "AssumeRole" {
			assumes.Add(1)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(counter.Close)

	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": counter.URL, "AWS_ACCESS_KEY_ID": "AKIAMOTO000000000001", "AWS_SECRET_ACCESS_KEY": "moto-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	// moto's cluster: connecting only describes it and prepares its clients.
	eksc := ekssdk.NewFromConfig(aws.Config{
		Region: "eu-west-1", BaseEndpoint: aws.String(m.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAMOTO000000000001", "moto-secret", ""),
	})
	if _, err := eksc.CreateCluster(t.Context(), &ekssdk.CreateClusterInput{
		Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
	}); err != nil {
		t.Fatalf("create moto's cluster: %v", err)
	}

	g, s := roleProject(t, "one-assume", "arn:aws:iam::123456789012:role/deployer-role", "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
	// connectAWS's EKS step: moto's cluster has no certificate authority that the Kubernetes
	// clients, made next, could read.
	if _, err := eks.Connect(t.Context(), *s.eks, eks.Options{Identity: g.identity(*s.eks)}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	if n := assumes.Load(); n != 1 {
		t.Errorf("%d AssumeRole requests reached moto, want 1", n)
	}
}
