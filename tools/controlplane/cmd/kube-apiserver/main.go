// Command kube-apiserver is the Kubernetes API server, built from k8s.io/kubernetes so that
// kaji's tests and dev cluster need nothing but Go. It is upstream's
// cmd/kube-apiserver/apiserver.go plus parentwatch: it stops once the process that started
// it is gone.
package main

import (
	"os"
	_ "time/tzdata" // for timeZone support in CronJob

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // for JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // load all the prometheus client-go plugins
	_ "k8s.io/component-base/metrics/prometheus/version"  // for version metric registration
	"k8s.io/kubernetes/cmd/kube-apiserver/app"

	"kaji.dev/kaji/tools/controlplane/internal/parentwatch"
)

func main() {
	parentwatch.Start()
	command := app.NewAPIServerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
