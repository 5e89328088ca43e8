// Package doctor walks, link by link, the chain kaji needs to apply releases to a cluster,
// Amazon EKS first of all: the kubeconfig, the AWS identity, the role's trust policy, the
// cluster and its endpoint, the authentication mode, aws-auth or access entries, who the
// API server thinks kaji is, the RBAC every release needs, and the IAM permissions that the
// references to secrets (SSM, Secrets Manager) and the SOPS files' KMS keys need.
//
// It is a registry of named checks (see Registry), each over a narrow client interface and
// each returning a Finding: a status, the evidence seen and the exact fix to run. A failed
// link does not stop the walk where later links can still be checked. The package never
// prints; Report.WriteText and encoding/json are its views.
//
//	d := doctor.New(doctor.Options{})
//	report := d.Run(ctx, doctor.Target{Resolved: resolved})
//	report.WriteText(os.Stdout)
//	if report.Failed() > 0 { ... exit 1 ... }
//
// Hint classifies the errors of apply that doctor can explain.
package doctor
