// Package export writes the releases of kaji.yaml as the objects a GitOps engine runs them
// from: Flux's HelmRelease with its sources, or Argo CD's Application. The export reads
// kaji.yaml, kaji.lock and the values files offline; it never resolves a secret reference
// nor decrypts a values file. What holds a secret becomes a Secret the user provides, and
// what the engine cannot express is listed as a Note, never dropped.
package export
