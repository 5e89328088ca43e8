package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/eks/awsauth"
	"kaji.dev/kaji/internal/lock"
)

type doctorFlags struct {
	output        string
	awsAuth       string
	lockNamespace string
}

func newDoctorCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &doctorFlags{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find the broken link between your credentials and the cluster",
		Long: `Check, in order, every link kaji needs to apply kaji.yaml: the kubeconfig and its
exec plugin, the AWS identity, the role's trust policy, the EKS cluster and its
endpoint, the authentication mode, aws-auth or access entries, who the API server
thinks you are, the RBAC each release needs, and the IAM permissions that the
references to secrets and the SOPS files' KMS keys need. Each check says what it
saw and the exact fix. A broken link does not stop the checks that can still run.

doctor exits 1 when a check fails. It never prints secrets or tokens.`,
		Example: `  kaji doctor
  kaji doctor --env prod -o json
  # analyse a copy of aws-auth from a cluster admin when you cannot read it
  kaji doctor --aws-auth aws-auth.yaml`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" {
				return &UsageError{Err: fmt.Errorf("--output %q: want text or json", f.output)}
			}
			res, err := g.load()
			if err != nil {
				return err
			}
			t := doctor.Target{Resolved: res, Kubeconfig: g.kubeconfig, Context: g.kubeContext, LockNamespace: f.lockNamespace}
			if f.awsAuth != "" {
				data, err := os.ReadFile(f.awsAuth)
				if err != nil {
					return fmt.Errorf("--aws-auth: %w", err)
				}
				a, err := awsauth.ParseManifest(data)
				if err != nil {
					return fmt.Errorf("--aws-auth %s: %w", f.awsAuth, err)
				}
				t.AWSAuth, t.AWSAuthSource = &a, f.awsAuth
			}
			report := doctor.New(doctor.Options{}).Run(cmd.Context(), t)
			if f.output == "json" {
				enc := json.NewEncoder(streams.Out)
				enc.SetIndent("", "  ")
				err = enc.Encode(report)
			} else {
				err = report.WriteText(streams.Out)
			}
			if err != nil {
				return fmt.Errorf("write report: %w", err)
			}
			if report.Failed() > 0 {
				return &silentError{code: ExitError}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	cmd.Flags().StringVar(&f.lockNamespace, "lock-namespace", lock.DefaultNamespace, "namespace of the project lock that apply takes (a Lease), whose RBAC doctor checks")
	cmd.Flags().StringVar(&f.awsAuth, "aws-auth", "", "a copy of kube-system/aws-auth (kubectl get -o yaml) to analyse when you cannot read it")
	return cmd
}
