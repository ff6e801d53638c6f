package guest

import (
	"sync"
	"testing"
)

// TestSlotsLongestFirst: with every workload's subtest running at once
// (make test-guest passes -parallel 16), the longest check takes its slot
// before any other, and no more guests run than there are slots.
func TestSlotsLongestFirst(t *testing.T) {
	names := []string{"chaos-disk", "chaos-network", "cpu", "disk", "memory", "network"}
	all := map[string]workloadCheck{"cpu": {minutes: 14}, "memory": {}}
	s := newSlots(2, longest(names, all))
	var mu sync.Mutex
	var order []string
	running, most := 0, 0
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			need := 1
			if n == "network" {
				need = 2
			}
			s.acquire(n, need)
			mu.Lock()
			order = append(order, n)
			running += need
			most = max(most, running)
			mu.Unlock()
			mu.Lock()
			running -= need
			mu.Unlock()
			s.release(need)
		}()
	}
	wg.Wait()
	if len(order) != len(names) || order[0] != "cpu" {
		t.Errorf("order %v: cpu must go first", order)
	}
	if most > 2 {
		t.Errorf("%d guests at once with 2 slots", most)
	}
}
