package disrupt

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is a kind of day-2 event.
type Kind string

// The kinds of event, in the order a round hands out its VMs.
const (
	Migrate   Kind = "migrate"
	Restart   Kind = "restart"
	StopStart Kind = "stop-start"
)

// Kinds lists every kind in order.
func Kinds() []Kind { return []Kind{Migrate, Restart, StopStart} }

// ParsePercent reads "10%" or "10": a share of the run's VMs, above 0 and
// at most 100.
func ParsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > 100 {
		return 0, fmt.Errorf("must be a percentage above 0 and at most 100, like 10%%, got %q", s)
	}
	return v, nil
}

// DefaultSeed is the seed a run is disrupted with unless --seed says
// otherwise: derived from its run id, so the same command chooses the
// same VMs again.
func DefaultSeed(runID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(runID))
	return h.Sum64()
}

// Schedule is when rounds start and how many there are.
type Schedule struct {
	// Percent is the share of the run's VMs each round gives each kind.
	Percent map[Kind]float64
	Every   time.Duration
	// Rounds is how many rounds run: --times, or one per Every that
	// starts within --for.
	Rounds int
}

// RoundsFor is the number of rounds that start within d, one every every:
// at 0, every, 2*every... while before d.
func RoundsFor(d, every time.Duration) int {
	if every <= 0 {
		return 1
	}
	return int((d + every - 1) / every)
}

// count is how many of n VMs pct% is: at least one for any share above 0.
func count(n int, pct float64) int {
	return min(n, int(math.Ceil(float64(n)*pct/100-1e-9)))
}

// candidate is a VM a round may choose.
type candidate struct {
	Namespace, Name, Node string
	// Unmigratable says why KubeVirt will not live-migrate it (its VMI's
	// LiveMigratable condition), "" when it can.
	Unmigratable string
}

// Choice is one event a round hands out.
type Choice struct {
	Kind      Kind   `json:"kind"`
	Namespace string `json:"namespace"`
	VM        string `json:"vm"`
	Node      string `json:"node,omitempty"`
}

// choose picks round's VMs: the run's VMs (total of them) in a shuffle
// seeded by seed and round, handed out kind by kind, each VM at most once
// per round, skipping VMs busy with an earlier round's event and, for
// migrations, VMs that cannot migrate. The same seed, VMs and busy set
// give the same choice.
func choose(seed uint64, round int, total int, cands []candidate, pct map[Kind]float64, busy func(string) bool) []Choice {
	order := slices.Clone(cands)
	slices.SortFunc(order, func(a, b candidate) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	rng := rand.New(rand.NewPCG(seed, uint64(round)))
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	taken := map[string]bool{}
	var out []Choice
	for _, k := range Kinds() {
		want := 0
		if p := pct[k]; p > 0 {
			want = count(total, p)
		}
		for _, c := range order {
			if want == 0 {
				break
			}
			key := c.Namespace + "/" + c.Name
			if taken[key] || busy(key) || (k == Migrate && c.Unmigratable != "") {
				continue
			}
			taken[key] = true
			out = append(out, Choice{Kind: k, Namespace: c.Namespace, VM: c.Name, Node: c.Node})
			want--
		}
	}
	return out
}
