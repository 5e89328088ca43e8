package suggest

import "testing"

func TestClosest(t *testing.T) {
	fields := []string{"apiVersion", "project", "cluster", "repositories", "releases", "environments"}
	cases := []struct{ word, want string }{
		{"relases", "releases"},   // a letter missing
		{"realeses", "releases"},  // two edits
		{"Project", "project"},    // case alone
		{"porject", "project"},    // a transposition is one edit
		{"repos", "repositories"}, // a prefix
		{"colour", ""},            // nothing close
		{"releases", ""},          // the word itself is not a suggestion
		{"", ""},
	}
	for _, c := range cases {
		if got := Closest(c.word, fields); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"replicaCoutn", "replicaCount", 1},
		{"kitten", "sitting", 3}, {"", "abc", 3}, {"ça", "ca", 1},
	}
	for _, c := range cases {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
