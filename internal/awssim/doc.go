// Package awssim simulates, in process, the parts of AWS that connecting kaji to an EKS
// cluster touches, and the stores kaji reads secrets from, so that tests run the real AWS SDK for Go v2 against real wire formats
// with no AWS account:
//
//   - STS (query protocol, XML; JSON on Accept: application/json): GetCallerIdentity and
//     AssumeRole. AssumeRole evaluates the role's trust policy and, where AWS requires it,
//     the caller's identity policies with package iampolicy, and issues temporary keys that
//     later requests may sign with.
//   - IAM (query protocol): GetRole and SimulatePrincipalPolicy.
//   - EKS (REST-JSON): DescribeCluster, ListAccessEntries, DescribeAccessEntry and
//     ListAssociatedAccessPolicies.
//   - SSM Parameter Store (JSON 1.1): GetParameter and GetParameters, with String,
//     StringList and SecureString parameters; kms:Decrypt is checked for SecureStrings under
//     a customer managed key. DescribeParameters tells their type and KMS key.
//   - Secrets Manager (JSON 1.1): GetSecretValue and BatchGetSecretValue, with version
//     stages (AWSCURRENT, AWSPREVIOUS, ...) and version ids; DescribeSecret tells a
//     secret's ARN and KMS key.
//   - KMS (JSON 1.1): Encrypt, Decrypt and GenerateDataKey with symmetric keys of the
//     fixture, by id, ARN or alias, binding the encryption context; the key policies are the
//     default ones, so the caller's identity policies decide (kms:Encrypt, kms:Decrypt,
//     kms:GenerateDataKey) within the key's account.
//   - ECR (JSON 1.1): GetAuthorizationToken, whose registry passwords Server.ECRRegistry
//     accepts in front of an in-process OCI registry, authorizing pulls and pushes with the
//     IAM actions ECR checks.
//
// Every request must carry a valid SigV4 signature (Authorization header or presigned
// query) made with a key from the fixture or one STS issued; others get the errors AWS
// gives (InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken, ...). Every call but
// GetCallerIdentity is authorized against the caller's identity policies.
//
// A Webhook stands in for the aws-iam-authenticator of an EKS control plane: kube-apiserver
// sends it TokenReviews, it verifies kaji's k8s-aws-v1. tokens against the simulated STS and
// maps the identity through access entries and the aws-auth ConfigMap as EKS does.
//
// Typical use in a test:
//
//	fx, _ := awssim.LoadFixture("testdata/fixture.yaml")
//	sim, _ := awssim.Start(fx)
//	defer sim.Close()
//	env, _ := sim.Env(t.TempDir())       // AWS_ENDPOINT_URL_STS/_IAM/_EKS, AWS_CA_BUNDLE, ...
//	for k, v := range env { t.Setenv(k, v) }
//	// ... then config.LoadDefaultConfig and the usual SDK clients.
package awssim
