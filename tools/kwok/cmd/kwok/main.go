// Command kwok is kwok's own controller (sigs.k8s.io/kwok/cmd/kwok), built from its Go module
// so that kaji's tests need nothing but Go: it fakes nodes and the pods bound to them, so that
// Deployments become Available without kubelets. It is the body of kwok's main.go plus
// parentwatch: it stops once the process that started it is gone.
//
// kwok needs stages (what to do to a node or a pod, and when) from --config; kwok-stages
// writes kwok's defaults, the ones kwokctl gives it.
package main

import (
	"os"

	"github.com/spf13/pflag"

	"sigs.k8s.io/kwok/pkg/config"
	"sigs.k8s.io/kwok/pkg/kwok/cmd"
	"sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"

	"kaji.dev/kaji/tools/kwok/internal/parentwatch"
)

func main() {
	parentwatch.Start()

	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}

	ctx := signals.SetupSignalContext()
	ctx, logger := log.InitFlags(ctx, flagset)

	ctx, err := config.InitFlags(ctx, flagset)
	if err != nil {
		_, _ = os.Stderr.Write([]byte(flagset.FlagUsages()))
		logger.Error("Init config flags",
			"err", err,
		)
		os.Exit(1)
	}

	command := cmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	err = command.ExecuteContext(ctx)
	if err != nil {
		logger.Error("Execute exit",
			"err", err,
		)
		os.Exit(1)
	}
}
