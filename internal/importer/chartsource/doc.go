// Package chartsource finds where the chart of a deployed release came from. Helm keeps the
// chart with every release but not the repository it was installed from, so an import
// compares the stored chart with the same name and version in each candidate repository
// (Match) and, when none holds it, writes the stored chart out as a local chart (WriteLocal).
//
// # What Helm stores
//
// Helm writes a release record as the JSON of the release, chart included. Of a chart, the
// metadata (Chart.yaml), Chart.lock, the templates, the default values, values.schema.json and
// the other files (crds/ among them) survive; the raw archive files and the subcharts do not
// (the chart's dependency list is unexported and not serialized). Before storing, install and
// upgrade process the chart's dependencies with the release's values: subcharts whose condition
// or tags are false are dropped, each dependency in Chart.yaml is marked enabled, its
// import-values are rewritten to child/parent form, and the default values of a chart that
// declares dependencies become its own defaults merged with those of its enabled subcharts.
//
// Digest covers exactly the parts that survive, compared as Helm reads them back (values as
// data, not text). A chart without dependencies gives the same digest loaded from its archive
// as read back from a release; a chart with dependencies must first be put in the form Helm
// stores it for the release's values (StoredForm). The content of subcharts is lost in the
// record: a repository chart with the same parent files, the same declared dependency
// versions and the same merged default values matches even if a subchart's templates differ.
package chartsource
