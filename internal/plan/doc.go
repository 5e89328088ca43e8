// Package plan computes what `kaji apply` would do to a cluster, without doing it.
//
// A Planner reads Helm's release storage with one list of Secrets per namespace (plus one
// cluster-wide list for orphans), renders every release in-process as an upgrade would, and
// decides a State for each release: install, upgrade, in-sync, drifted, pending, failed,
// orphan or unmanaged. Releases whose spec did not change are checked for drift against the
// live objects, fetched with one LIST per (namespace, kind). For releases that would change,
// every object that would change is sent to the API server as a server-side apply dry run, so
// that defaulting, admission and immutable-field errors show up in the plan.
//
// The result is data (Plan, Release, ObjectChange, FieldChange); the package never prints.
// Package view renders a Plan as text or JSON.
package plan
