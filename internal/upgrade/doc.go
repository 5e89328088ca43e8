// Package upgrade finds the settings that a chart upgrade silently drops: keys the user sets
// that the chart version deployed reads, and that the new version ignores (it no longer knows
// them, or other values turn off every use of them). Both charts are analysed with the same
// user values by the unused-key analysis, so a key counts as read or ignored only as rendering
// proves it.
package upgrade
