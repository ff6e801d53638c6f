package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	names := []string{"cpu", "database", "disk", "memory", "network"}
	for _, c := range []struct{ in, want string }{
		{"dsk", ` (did you mean "disk"?)`},
		{"cpux", ` (did you mean "cpu"?)`},
		{"netwrok", ` (did you mean "network"?)`},
		{"zzzzzz", ""},
		{"", ""},
	} {
		if got := DidYouMean(c.in, names); got != c.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
