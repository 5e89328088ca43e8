package cluster

import "k8s.io/apimachinery/pkg/api/meta"

// Refresh forgets what the connection learnt of the API: the discovery cache, the REST mapper
// and the capabilities. Call it after CRDs were installed, so that the operations that follow
// map their kinds and their templates see them in .Capabilities.APIVersions. It costs a
// discovery on the next use, so call it only then.
func (c *Conn) Refresh() {
	c.discovery.Invalidate()
	if m, ok := c.mapper.(meta.ResettableRESTMapper); ok {
		m.Reset()
	}
	c.caps.mu.Lock()
	defer c.caps.mu.Unlock()
	c.caps.caps = nil
}
