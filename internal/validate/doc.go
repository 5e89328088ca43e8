// Package validate checks a kaji.yaml and everything it points to without a cluster, and
// returns every mistake it finds as typed findings, in a stable order.
//
// Run goes through these steps, collecting findings rather than stopping at the first:
//
//  1. kaji.yaml itself: every problem that spec.Load reports (code spec). When kaji.yaml has
//     problems, nothing else can be trusted, so the other steps do not run.
//  2. For each release, in parallel (bounded): its chart, loaded from its local path or the
//     chart cache, downloaded once if it is not cached (code chart).
//  3. Its values files, read as Helm reads them; a YAML error is reported at its line
//     (code values-yaml).
//  4. Its values layers merged as the Helm CLI merges -f files (internal/values).
//  5. The merged values, coalesced with the chart's defaults, against the values.schema.json of
//     the chart and of its enabled subcharts, as helm install does. Each violation is reported
//     at the user's key that set the value: the last values layer that set that path. A
//     violation that no user key caused, such as a missing required property, is reported at
//     the release in kaji.yaml (code schema).
//  6. Rendering, in-process and deterministic, as `helm template` renders (release name
//     release-name, namespace default). A template error is reported at the template's
//     file:line with Helm's message (code render).
//  7. The rendered manifests: each document must parse and carry apiVersion, kind and a name
//     (metadata.name or metadata.generateName), and no object may be rendered twice
//     (code manifest).
//  8. The keys the user set that change nothing (internal/unused): keys the chart does not
//     know (code unknown-key, a warning, an error with Options.Strict) with the key most
//     likely meant, and known keys that the other values disable (code no-effect, info) with
//     the key that disables them. Each is reported at the user's key: in a values file, or
//     inline in kaji.yaml. When several layers set the key, the one that wins is reported.
//
// A release whose chart cannot be loaded, or whose values cannot be read, skips the later
// steps; so does a release that does not render (for steps 7 and 8).
//
// Nothing here talks to a Kubernetes API server. One Renderer and one Analyzer serve the
// whole run, so that a chart used by several releases is read once.
package validate
