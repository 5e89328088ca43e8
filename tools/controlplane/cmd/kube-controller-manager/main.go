// Command kube-controller-manager is the Kubernetes controller manager, built from
// k8s.io/kubernetes so that kaji's tests need nothing but Go. It is upstream's
// cmd/kube-controller-manager/controller-manager.go plus parentwatch: it stops once the
// process that started it is gone.
package main

import (
	"os"
	_ "time/tzdata" // for CronJob Time Zone support

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // for JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // load all the prometheus client-go plugin
	_ "k8s.io/component-base/metrics/prometheus/version"  // for version metric registration
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"

	"kaji.dev/kaji/tools/controlplane/internal/parentwatch"
)

func main() {
	parentwatch.Start()
	command := app.NewControllerManagerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
