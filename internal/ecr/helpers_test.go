package ecr_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"kaji.dev/kaji/internal/awssim"
)

// world is the AWS account of the tests: puller may get tokens and pull the repositories
// under charts/; tokenonly may get tokens only; nobody may do nothing.
const world = `
accounts:
  - id: "111122223333"
    users:
      - name: puller
        accessKeys:
          - {id: AKIAPULLER0000000001, secret: puller-secret-key-000000000000000000001}
        policies:
          - name: pull-charts
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
                - {Effect: Allow, Action: [ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:ListImages], Resource: "arn:aws:ecr:*:111122223333:repository/charts/*"}
      - name: tokenonly
        accessKeys:
          - {id: AKIATOKENONLY0000001, secret: tokenonly-secret-key-0000000000000000001}
        policies:
          - name: token
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
      - name: nobody
        accessKeys:
          - {id: AKIANOBODY0000000001, secret: nobody-secret-key-000000000000000000001}
`

// Keys of world.
const (
	pullerKey    = "AKIAPULLER0000000001"
	tokenOnlyKey = "AKIATOKENONLY0000001"
	nobodyKey    = "AKIANOBODY0000000001"
)

// Registry hosts of world's account, in two regions.
var (
	hostEU = awssim.ECRRegistryHost("111122223333", "eu-west-1")
	hostUS = awssim.ECRRegistryHost("111122223333", "us-east-1")
)

func startSim(t *testing.T, opts ...awssim.Option) *awssim.Server {
	t.Helper()
	return awssim.StartT(t, world, opts...)
}

// configs is an AWS configuration function over sim signing with keyID, which counts how
// often it is called.
type configs struct {
	sim    *awssim.Server
	keyID  string
	secret string
	calls  atomic.Int32
}

func newConfigs(t *testing.T, sim *awssim.Server, keyID string) *configs {
	t.Helper()
	env, err := sim.CredentialsEnv(keyID)
	if err != nil {
		t.Fatal(err)
	}
	return &configs{sim: sim, keyID: keyID, secret: env["AWS_SECRET_ACCESS_KEY"]}
}

func (c *configs) config(context.Context) (aws.Config, error) {
	c.calls.Add(1)
	return aws.Config{
		Region:           "eu-central-1", // the registry's region decides, not this one
		Credentials:      credentials.NewStaticCredentialsProvider(c.keyID, c.secret, ""),
		HTTPClient:       c.sim.HTTPClient(),
		BaseEndpoint:     aws.String(c.sim.URL()),
		RetryMaxAttempts: 1,
	}, nil
}

// calls lists the simulator's calls as service:action[:error], in order.
func calls(sim *awssim.Server) string {
	var out []string
	for _, c := range sim.Calls() {
		s := c.Service + ":" + c.Action
		if c.ErrorCode != "" {
			s += ":" + c.ErrorCode
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}
