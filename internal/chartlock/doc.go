// Package chartlock owns kaji.lock, the file beside kaji.yaml that pins the chart of every
// release to an exact version and its content: validate, plan and apply load what it pins, so
// that the same kaji.yaml deploys the same charts wherever and whenever it runs.
//
// # Format
//
// kaji.lock is YAML with a schema version, written by kaji in one canonical form: the same
// content gives the same bytes, entries are sorted by release and then environment, and each
// field has its own line, so that a change shows as a short diff in review.
//
//	apiVersion: kaji.dev/lock/v1
//	releases:
//	  - release: api
//	    repository: https://charts.example.com/stable
//	    chart: app
//	    version: 1.4.2
//	    digest: sha256:9f2c...
//	  - release: api
//	    environment: prod
//	    repository: https://charts.example.com/stable
//	    chart: app
//	    version: 1.3.7
//	    digest: sha256:41ab...
//
// repository is the chart repository URL (without credentials) or the registry path
// (oci://host/path), chart the chart name: the name a kaji.yaml gives the repository is not
// recorded, so renaming it changes nothing. digest is the sha256 of the chart archive for a
// chart repository, and the manifest digest for an OCI registry. Local charts are not locked.
//
// # Environments
//
// An entry without environment is the release's base pin: what the release resolves to
// without --env. An environment gets an entry of its own only where the base pin cannot serve
// it: the environment overrides the version with a constraint that the base pin does not
// satisfy, or enables a release that the base leaves out. With --env NAME, a release uses its
// NAME entry when there is one, and its base entry otherwise. So a kaji.yaml whose
// environments only change values has one entry per release, and every environment deploys
// the same chart.
//
// # Enforcement
//
// A Locker pins each release of a run. A release whose entry still serves it (same
// repository and chart, a version its constraint admits) loads exactly that version, and a
// chart whose digest differs is refused. A release missing from kaji.lock, or whose
// constraint no longer admits its pin, is an error that says to run kaji lock, unless the
// mode is ModeUpdate, which resolves it anew and writes it. A project without kaji.lock loads
// charts unpinned, as before kaji.lock existed. Relock resolves every pin anew, as kaji lock
// does.
package chartlock
