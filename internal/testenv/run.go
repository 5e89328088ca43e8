package testenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// Run starts one control plane for a test package, stores it in *env, runs the tests, stops
// it and returns the exit code for TestMain to pass to os.Exit:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }
//
// Under -short it starts nothing and leaves *env nil; env.Namespace and env.Require then
// skip the tests that need it. A control plane that cannot start (binaries not built, for
// one) fails the package with the reason on stderr.
func Run(m *testing.M, env **Env, opts ...Option) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	if testing.Short() {
		return m.Run()
	}
	e, err := Start(context.Background(), opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	*env = e
	code := m.Run()
	*env = nil
	if err := e.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
