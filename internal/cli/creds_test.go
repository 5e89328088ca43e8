package cli_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/testenv/faultproxy"
)

// credsWorld: deployer may assume kaji, which may describe the cluster prod. The cluster's
// endpoint is set to a fault proxy in front of the test's API server, which passes requests
// on with the harness's credentials: the EKS token kaji builds only has to reach it.
const credsWorld = `
accounts:
  - id: "111122223333"
    users:
      - name: deployer
        accessKeys:
          - {id: AKIADEPLOYER00000009, secret: deployer-secret-key-0000000000000000009}
        policies:
          - name: assume
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: sts:AssumeRole, Resource: "arn:aws:iam::111122223333:role/kaji"}
    roles:
      - name: kaji
        trustPolicy:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/deployer"}, Action: sts:AssumeRole}
        policies:
          - name: describe
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: eks:DescribeCluster, Resource: "*"}
clusters:
  - name: prod
    account: "111122223333"
    region: eu-west-1
    version: "1.33"
    authenticationMode: API
    endpointPublicAccess: true
`

// No EKS token, AWS credential or kubeconfig secret (bearer token, client key) is printed or
// written to disk by plan, apply, status or a failing run, with -vv: stdout, stderr and every
// file under the run's HOME, XDG directories, TMPDIR and project directory are scanned for
// the planted values.
func TestCredentialsAreNeverPrintedOrWritten(t *testing.T) {
	ns := env.Namespace(t)
	p := faultproxy.Start(t, env)
	sim := awssim.StartT(t, credsWorld)
	if err := sim.SetClusterEndpoint("prod", p.URL, p.CAData()); err != nil {
		t.Fatal(err)
	}
	// The run's AWS credentials are a role session's, with a session token.
	sim.SetEnv(t, "AKIADEPLOYER00000009", "eu-west-1")
	base, err := eks.LoadAWSConfig(t.Context(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	assumed, err := eks.AssumeRole(t.Context(), base, eks.Role{ARN: "arn:aws:iam::111122223333:role/kaji", SessionName: "creds-test"})
	if err != nil {
		t.Fatal(err)
	}
	session, err := assumed.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	root := t.TempDir()
	dirs := map[string]string{}
	for _, name := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR", "project", "aws"} {
		dirs[name] = filepath.Join(root, strings.ToLower(name))
		if err := os.MkdirAll(dirs[name], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	simEnv, err := sim.Env(dirs["aws"])
	if err != nil {
		t.Fatal(err)
	}
	childEnv := []string{"PATH=" + os.Getenv("PATH"), "AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_ID=" + session.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + session.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + session.SessionToken}
	for k, v := range simEnv {
		childEnv = append(childEnv, k+"="+v)
	}
	for _, name := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR"} {
		childEnv = append(childEnv, name+"="+dirs[name])
	}

	chart, err := filepath.Abs("testdata/faults/charts/note")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dirs["project"], "kaji.yaml")
	body := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: %[1]s
cluster:
  eks: {name: prod, region: eu-west-1}
releases:
  - {name: one, namespace: %[1]s, chart: %[2]s, values: {text: first}}
`, ns, chart)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}

	var printed strings.Builder
	kajiRun := func(wantOK bool, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		all := append([]string{"-vv", "-f", file}, args...)
		cmd := exec.CommandContext(ctx, binary(t), all...)
		cmd.Env, cmd.Dir = childEnv, dirs["project"]
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil || (err == nil) != wantOK {
			t.Errorf("kaji %s: %v, want success %v\n%s", strings.Join(args, " "), err, wantOK, out)
		}
		printed.Write(out)
	}
	lockFlags := []string{"--lock-namespace", ns, "--lock-lease", "3s"}
	kubeconfig := []string{"--kubeconfig", p.KubeconfigPath, "--kube-context", faultproxy.ContextName}

	// Through EKS: the token is built from the session's credentials.
	kajiRun(true, "plan")
	kajiRun(true, append([]string{"apply", "--yes", "-o", "json"}, lockFlags...)...)
	kajiRun(true, "status")
	// Through the kubeconfig, with its token and client key.
	writeNoteText(t, file, "first", "second")
	kajiRun(true, append(append([]string{"apply", "--yes"}, lockFlags...), kubeconfig...)...)
	kajiRun(true, append([]string{"plan", "-o", "json"}, kubeconfig...)...)
	// Runs that fail: the API server refuses the credentials.
	p.Add(faultproxy.Rule{Fault: faultproxy.Status(http.StatusUnauthorized, "")})
	kajiRun(false, "plan")
	kajiRun(false, append([]string{"plan"}, kubeconfig...)...)

	// The planted values were in play: kaji sent the kubeconfig's token and EKS tokens.
	var tokens []string
	for _, a := range p.Authorizations() {
		if tok, ok := strings.CutPrefix(a, "Bearer "+awssim.TokenPrefix); ok {
			tokens = append(tokens, awssim.TokenPrefix+tok)
		}
	}
	if len(tokens) == 0 || !contains(p.Authorizations(), "Bearer "+p.Token) {
		t.Fatalf("the proxy saw %d EKS tokens and the kubeconfig token %v: the planted values were not used",
			len(tokens), contains(p.Authorizations(), "Bearer "+p.Token))
	}

	planted := map[string]string{
		"kubeconfig token":      p.Token,
		"kubeconfig client key": pemBody(p.ClientKeyPEM),
		"AWS access key id":     session.AccessKeyID,
		"AWS secret access key": session.SecretAccessKey,
		"AWS session token":     session.SessionToken,
		"deployer secret key":   "deployer-secret-key-0000000000000000009",
	}
	for i, tok := range tokens {
		planted[fmt.Sprintf("EKS token %d", i+1)] = tok
		// The end of the token encodes the URL's signature: a part of the token that is secret.
		planted[fmt.Sprintf("EKS token %d's signature", i+1)] = tok[len(tok)-40:]
	}
	for what, value := range planted {
		for _, form := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
			if strings.Contains(printed.String(), form) {
				t.Errorf("kaji printed the %s", what)
			}
		}
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == filepath.Join(dirs["aws"], "awssim-ca.pem") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for what, value := range planted {
			for _, form := range []string{value, base64.StdEncoding.EncodeToString([]byte(value))} {
				if strings.Contains(string(raw), form) {
					t.Errorf("%s holds the %s", path, what)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanned %d bytes of output and %d files for %d planted values", printed.Len(), files, len(planted))
}

// writeNoteText changes a release's text in file.
func writeNoteText(t *testing.T, file, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(raw), "text: "+from, "text: "+to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pemBody is the first line of a PEM block's base64 body.
func pemBody(p []byte) string {
	lines := strings.Split(string(p), "\n")
	return lines[1]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
