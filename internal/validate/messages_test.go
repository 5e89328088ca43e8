package validate

import "testing"

// TestNoEffectMessage checks that the value of the gate is written as YAML, the way the user
// writes it, not in Go's syntax.
func TestNoEffectMessage(t *testing.T) {
	for _, tc := range []struct {
		val  any
		want string
	}{
		{false, "has no effect while x.enabled is false"},
		{map[string]any{}, "has no effect while x.enabled is {}"},
		{"", `has no effect while x.enabled is ""`},
		{[]any{}, "has no effect while x.enabled is []"},
		{[]any{"a", 1}, "has no effect while x.enabled is [a, 1]"},
		{map[string]any{"k": "v"}, "has no effect while x.enabled is {k: v}"},
		{"Deployment", "has no effect while x.enabled is Deployment"},
		{"true", `has no effect while x.enabled is "true"`},
		{nil, "has no effect while x.enabled is not set"},
	} {
		got := noEffectMessage([]string{"x", "enabled"}, map[string]any{"x": map[string]any{"enabled": tc.val}})
		if got != tc.want {
			t.Errorf("%#v: got %q, want %q", tc.val, got, tc.want)
		}
	}
}
