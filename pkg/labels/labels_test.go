package labels

import "testing"

// TestScope: a run in one namespace is listed there and every object
// listed is its; a run spread over several is listed cluster-wide and
// only its namespaces' objects are its.
func TestScope(t *testing.T) {
	spread := []string{"vw-a", "vw-b"}
	for _, c := range []struct {
		name       string
		namespace  string
		namespaces []string
		list       string
		covers     map[string]bool
	}{
		{"one namespace", "vw", nil, "vw", map[string]bool{"vw": true, "other": true}},
		{"one namespace named in the list", "vw-a", []string{"vw-a"}, "vw-a", map[string]bool{"vw-a": true}},
		{"all namespaces (-A)", "", nil, "", map[string]bool{"anything": true}},
		{"spread", "vw-a", spread, "", map[string]bool{"vw-a": true, "vw-b": true, "vw-c": false, "": false}},
	} {
		if got := ListNamespace(c.namespace, c.namespaces); got != c.list {
			t.Errorf("%s: lists in %q, want %q", c.name, got, c.list)
		}
		for ns, want := range c.covers {
			if got := Covers(c.namespaces, ns); got != want {
				t.Errorf("%s: covers %q = %v, want %v", c.name, ns, got, want)
			}
		}
	}
}
