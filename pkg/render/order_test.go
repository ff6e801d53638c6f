package render

import (
	"slices"
	"strconv"
	"testing"
)

func TestLexOrderIsSortedDecimalStrings(t *testing.T) {
	sizes := []int{0, 1, 2, 9, 10, 11, 19, 20, 99, 100, 101, 109, 110, 999, 1000, 1001, 4321, 10000}
	for n := 0; n < 300; n++ {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		want := make([]string, n)
		for i := range n {
			want[i] = strconv.Itoa(i)
		}
		slices.Sort(want)
		var got []string
		l := newLexOrder(n)
		for i, ok := l.next(); ok; i, ok = l.next() {
			got = append(got, strconv.Itoa(i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: got %v, want %v", n, head(got), head(want))
		}
	}
}

// TestSortedNamesIsSort checks the merge against sorting every name,
// including groups whose prefix is a prefix of another's, whose names
// interleave.
func TestSortedNamesIsSort(t *testing.T) {
	for _, groups := range [][]nameGroup{
		{{"virtwork-cpu-3f2b6c1e-", 1234, 1}},
		{{"virtwork-fan-3f2b6c1e-client-", 23, 3}, {"virtwork-fan-3f2b6c1e-server-", 23, 1}},
		{{"a-", 120, 1}, {"a-1", 15, 1}, {"a-1-", 12, 11}, {"a-10", 3, 2}, {"b-", 1, 1}, {"a-", 0, 1}},
		{{"x", 101, 12}, {"x1", 11, 1}, {"x-", 5, 1}},
	} {
		var want []indexedRef
		for k, g := range groups {
			for i := range g.instances {
				for j := range g.perInstance {
					want = append(want, indexedRef{group: k, name: indexedName(g.prefix, i, j, g.perInstance), i: i, j: j})
				}
			}
		}
		slices.SortStableFunc(want, func(a, b indexedRef) int {
			if a.name < b.name {
				return -1
			}
			if a.name > b.name {
				return 1
			}
			return 0
		})
		got := slices.Collect(sortedNames(groups))
		if !slices.Equal(got, want) {
			t.Errorf("groups %v: merged order differs from sorting", groups)
		}
	}
}

func head(s []string) []string { return s[:min(len(s), 30)] }
