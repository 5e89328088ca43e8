package view

import "testing"

func TestUnified(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	b := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	want := `  @@ -1,3 +1,3 @@
    a
  - b
  + B
    c
  @@ -10,1 +10,2 @@
    j
  + k
`
	// Two hunks: the changes are further apart than twice the context.
	if got := unified(a, b, 1, "  ", false); got != want {
		t.Errorf("unified:\n%s\nwant:\n%s", got, want)
	}
	if got := unified(a, a, 3, "", false); got != "" {
		t.Errorf("no change gave %q", got)
	}
	if got := unified("", "x\n", 3, "", false); got != "@@ -1,0 +1,1 @@\n+ x\n" {
		t.Errorf("a creation: %q", got)
	}
}
