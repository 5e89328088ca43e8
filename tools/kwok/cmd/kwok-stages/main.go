// Command kwok-stages prints kwok's default stages as one YAML stream for kwok's --config:
// a node becomes Ready and keeps its lease, a pod bound to such a node starts and becomes
// Ready, finishes when all its containers would have, and goes once deleted. These are the
// stages kwokctl gives kwok (node lease on, its default); the standalone kwok has none.
package main

import (
	"fmt"
	"os"
	"strings"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodeheartbeat "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/kwok/pkg/apis/internalversion"
	"sigs.k8s.io/kwok/pkg/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "kwok-stages: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	stages := []string{
		nodefast.DefaultNodeInit,
		nodeheartbeat.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
	}
	docs := make([]string, 0, len(stages))
	for _, raw := range stages {
		// Decode each as kwok will, so that a stage kwok cannot read fails the build, not a test.
		stage, err := config.UnmarshalWithType[*internalversion.Stage](raw)
		if err != nil {
			return fmt.Errorf("decode a default stage: %w", err)
		}
		if stage.Name == "" {
			return fmt.Errorf("a default stage has no name:\n%s", raw)
		}
		docs = append(docs, strings.TrimSpace(raw))
	}
	_, err := fmt.Println(strings.Join(docs, "\n---\n"))
	return err
}
