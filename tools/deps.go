//go:build tools

// Package deps pins dependencies that the packages below start using; delete lines as real imports appear.
package deps
import (
 _ "helm.sh/helm/v4/pkg/action"
 _ "helm.sh/helm/v4/pkg/chart/v2/loader"
 _ "helm.sh/helm/v4/pkg/repo/v1"
 _ "helm.sh/helm/v4/pkg/repo/v1/repotest"
 _ "helm.sh/helm/v4/pkg/registry"
 _ "helm.sh/helm/v4/pkg/storage/driver"
 _ "github.com/spf13/cobra"
 _ "sigs.k8s.io/yaml"
 _ "go.yaml.in/yaml/v3"
 _ "k8s.io/client-go/tools/clientcmd"
 _ "sigs.k8s.io/controller-runtime/pkg/envtest"
 _ "github.com/invopop/jsonschema"
 _ "github.com/santhosh-tekuri/jsonschema/v6"
 _ "github.com/Masterminds/semver/v3"
 _ "golang.org/x/term"
)
