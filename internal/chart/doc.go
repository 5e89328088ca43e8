// Package chart finds and loads the chart of a release: a local directory or archive, a chart
// in an https chart repository (repo/name), or a chart in an OCI registry (oci://...).
//
// A Loader resolves the release's version (an exact version or a Masterminds semver
// constraint; empty means the newest stable version, as in Helm), downloads what it needs
// once, keeps it in a disk cache, and returns a freshly loaded *chart.Chart on every call.
// A Loader is safe for concurrent use.
//
// # Chart strings
//
//   - An absolute path, or a path starting with ./ or ../, is a local chart directory or a
//     packaged .tgz archive.
//   - oci://host/path/name is a chart in an OCI registry. It may carry a :tag or an
//     @sha256:digest.
//   - repo/name names a chart in the repository called repo in kaji.yaml. When that
//     repository is an oci:// registry base, the chart is <base>/<name>.
//
// # Versions
//
// For a repository or registry chart, an exact version (strict semver, such as 1.2.3) is
// looked up as is; anything else is a constraint and picks the newest matching version. For a
// local chart, a version that is set is checked against Chart.yaml: a chart whose version
// does not match it is an error, because a silently ignored version is a trap.
//
// # Pins
//
// LoadPinned loads an exact version whose content must have a known digest, as kaji.lock
// records it: the sha256 of the archive for a chart repository, the manifest digest for an OCI
// registry. A chart whose digest differs, because the same version was published again with
// other content, is refused with a *PinMismatchError that names both digests. Locate says
// where a chart lives (repository URL and chart name), which kaji.lock records with the pin.
//
// # Cache layout
//
// Under the cache directory (by default os.UserCacheDir()/kaji):
//
//	repositories/<host-path>-<hash>/index.yaml               last index.yaml fetched
//	repositories/<host-path>-<hash>/charts/<name>-<ver>.tgz   chart archives
//	repositories/<host-path>-<hash>/charts/<name>-<ver>.tgz.url  where each was downloaded from
//	oci/<host-path>-<hash>/tags/<tag>                         manifest digest of a tag
//	oci/<host-path>-<hash>/manifests/sha256-<hex>.json        chart digest and version
//	oci/<host-path>-<hash>/blobs/sha256-<hex>.tgz             chart archives, by digest
//
// <hash> is a hash of the repository URL (without credentials) or of the OCI repository, so
// two projects that give the same name to different repositories never share entries.
//
// Every file is written to a temporary name and renamed, so concurrent kaji processes can share
// a cache. Archives are checked against the index digest (https) or the layer digest (OCI)
// before they are cached.
//
// Chart versions are treated as immutable, as Helm does: an exact version that is already in
// the cache is loaded without any network request. An index is fetched at most once per
// Loader (once per run) and only when a constraint has to be resolved or a chart is not
// cached yet. In offline mode nothing is downloaded: constraints are resolved against the
// cached index or the cached OCI tags, and a chart that is not cached is a NotCachedError.
package chart
