// Package unused finds values keys that change nothing in a chart's rendered output: keys the
// chart does not know (most likely misspelt or misplaced), and keys it knows but that the
// rest of the values disable.
//
// The analysis has a static part and a proving part. The static part reads the chart without
// rendering: the keys its values.yaml files and values.schema.json files declare, the keys
// Helm itself reads (dependency conditions and tags), and every .Values reference of its
// templates, found by walking their parse trees once per chart. The walk tracks what dot, $,
// variables and dict arguments of named templates stand for, and follows include and template
// calls; a lookup by a computed name (index with a key built in the template) reads only the
// keys that the string literals reaching it spell. It records each reference with a guard: the conditions of the if, with and range
// blocks around it, as expressions (truthiness, and, or, not, eq, ne, empty, hasKey, default,
// coalesce, ternary), the calls that reach a named template, and the subchart it belongs to.
// Each analysis evaluates the guards with its coalesced values, so it knows which references
// sit in code that does not run and which key turns that code off. A reference that prints a
// value, passes it to a function or ranges over it uses the key with everything below it,
// which makes that subtree free-form; so does an empty map, a list or a scalar in the
// defaults, and an object without properties in a schema. Subcharts are read the same way
// under their name or alias, their globals also at the top level.
//
// The static part only nominates candidates: a leaf set by the user whose path leaves what
// the chart knows (an unknown key), or a known key whose every reference is in dead code (a
// key without effect). The proving part renders the chart in-process and deterministically
// with variants of the user's values: the key removed, its value flipped to the other truth,
// changed to another value of its type, and set to each literal the templates compare it
// with. A candidate becomes a finding only if every variant renders byte-identical to the
// values as they are; a render that fails counts as a difference. Unknown keys are proved one
// by one, keys without effect in one batch that is halved where it fails; renders run in
// parallel, bounded. So a finding is never a guess: it names a key whose value, as far as
// the variants show, does not reach the output.
package unused
