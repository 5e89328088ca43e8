// Package secretstest is a test harness, imported by tests only: it runs moto_server (an
// independent AWS emulator) and encrypts values files with the real SOPS code, so that tests
// plant secrets through the sources kaji reads them from.
package secretstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Moto is a running moto_server.
type Moto struct {
	// Endpoint is its URL, for AWS_ENDPOINT_URL or an SDK config's BaseEndpoint.
	Endpoint string
}

// StartMoto runs moto_server on a free loopback port until t ends. It skips t with -short,
// and when moto_server is not installed, unless CI is set: then it fails t.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	if testing.Short() {
		t.Skip("starts moto_server; skipped with -short")
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("moto_server is not installed, and CI must run against it: %v", err)
		}
		t.Skip("moto_server is not on PATH; install moto[server] to run against an independent AWS emulator")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	waitForHTTP(t, m.Endpoint, exited, &out)
	return m
}

// waitForHTTP polls endpoint until it answers, moto_server exits, or a minute passes.
func waitForHTTP(t testing.TB, endpoint string, exited <-chan error, out *strings.Builder) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(endpoint + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close()
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited before answering: %v\n%s", err, out.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within a minute: %v\n%s", endpoint, err, out.String())
		}
	}
}
