// Command devcluster runs kaji's dev control plane (kube-apiserver and etcd on 127.0.0.1)
// until it gets SIGTERM or SIGINT, then stops it. It writes a kubeconfig with the context
// kaji-dev into its directory once the API server is ready, and removes it on the way out.
// hack/dev-cluster.sh runs it in the background; see `make dev-cluster`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"kaji.dev/kaji/internal/testenv"
)

const contextName = "kaji-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "devcluster: %v\n", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("devcluster", flag.ContinueOnError)
	dir := fs.String("dir", ".cache/dev-cluster", "directory for the kubeconfig and the component logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := testenv.Start(ctx, testenv.WithContextName(contextName), testenv.WithWorkDir(*dir))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "control plane ready at %s; kubeconfig %s (context %s)\n", env.Config.Host, env.KubeconfigPath, contextName)
	<-ctx.Done()
	fmt.Fprintln(out, "stopping control plane")
	if err := env.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(out, "control plane stopped")
	return nil
}
