// Package render renders a chart in-process exactly as `helm template` does, offline, and can
// make the output deterministic so that two renders of the same input are byte-identical.
//
// The pipeline mirrors action.Install with a client-only dry run: dependencies are enabled or
// disabled by their conditions and tags and their import-values are applied, the user's values
// are coalesced with the chart's defaults by Helm's own coalescing, and Helm's template engine
// runs with Helm's default (offline) Capabilities. Schema validation is a separate step,
// ValidateSchema, so that a caller can render values that the schema rejects.
//
// Deterministic mode replaces the template functions whose output depends on randomness or on
// the clock (randAlphaNum, uuidv4, genCA, now, ...) with stable ones; see Options.Deterministic.
package render
