// Command kube-scheduler is the Kubernetes scheduler, built from k8s.io/kubernetes so that
// kaji's tests need nothing but Go. It is upstream's cmd/kube-scheduler/scheduler.go plus
// parentwatch: it stops once the process that started it is gone.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register" // for JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version" // for version metric registration
	"k8s.io/kubernetes/cmd/kube-scheduler/app"

	"kaji.dev/kaji/tools/controlplane/internal/parentwatch"
)

func main() {
	parentwatch.Start()
	command := app.NewSchedulerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
