package cluster

import (
	"fmt"
	"sync"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"k8s.io/client-go/discovery"
)

// capabilities remembers the cluster's capabilities once they were read.
type capabilities struct {
	mu   sync.Mutex
	caps *common.Capabilities
}

// Capabilities reads the server version and the API versions it serves, as Helm's install and
// upgrade do, once per Conn: every plan and Helm operation of a run shares them. (Helm itself
// clears its discovery cache and reads them again for every operation, which costs a discovery
// per release.) A failed read is not remembered. The result must not be modified.
func (c *Conn) Capabilities() (*common.Capabilities, error) {
	c.caps.mu.Lock()
	defer c.caps.mu.Unlock()
	if c.caps.caps != nil {
		return c.caps.caps, nil
	}
	v, err := c.discovery.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("read the server version: %w", err)
	}
	apis, err := action.GetVersionSet(c.discovery)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		// A registered but unavailable API service fails only its own group, as in Helm.
		return nil, fmt.Errorf("discover api versions: %w", err)
	}
	c.caps.caps = &common.Capabilities{
		APIVersions: apis,
		KubeVersion: common.KubeVersion{Version: v.GitVersion, Major: v.Major, Minor: v.Minor},
		HelmVersion: common.DefaultCapabilities.HelmVersion,
	}
	return c.caps.caps, nil
}
