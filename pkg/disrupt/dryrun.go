package disrupt

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/report"
)

// Preview is what a disrupt would do (--dry-run), as if every event ended
// before the next round: the VMs each round would choose, and the VMs
// that cannot take part, with why.
type Preview struct {
	RunID  string         `json:"runID"`
	Seed   uint64         `json:"seed"`
	Total  int            `json:"vms"`
	Rounds []PreviewRound `json:"rounds"`
	// CannotMigrate names each running VM KubeVirt will not live-migrate,
	// with its VMI's LiveMigratable reason.
	CannotMigrate map[string]string `json:"cannotMigrate"`
	// NotRunning names the VMs no round can choose: they have no running VMI.
	NotRunning map[string]string `json:"notRunning"`
}

// PreviewRound is one round's events, At after the start.
type PreviewRound struct {
	At     time.Duration `json:"at"`
	Events []Choice      `json:"events"`
}

// Plan lists what Run would do with o, changing nothing.
func Plan(ctx context.Context, o Options) (*Preview, error) {
	inv, err := inventory(ctx, o.Client, o.Target)
	if err != nil {
		return nil, err
	}
	if inv.Total == 0 {
		return nil, fmt.Errorf("%w: run %s has no VirtualMachine in %s", ErrNoRun, o.RunID, o.where())
	}
	p := &Preview{RunID: o.RunID, Seed: o.Seed, Total: inv.Total, CannotMigrate: map[string]string{}, NotRunning: inv.NotRunning}
	for _, c := range inv.Running {
		if c.Unmigratable != "" {
			p.CannotMigrate[c.Namespace+"/"+c.Name] = c.Unmigratable
		}
	}
	for round := 0; round < o.Rounds; round++ {
		p.Rounds = append(p.Rounds, PreviewRound{At: time.Duration(round) * o.Every,
			Events: choose(o.Seed, round, inv.Total, inv.Running, o.Percent, func(string) bool { return false })})
	}
	return p, nil
}

// Print writes the preview as text, or JSON when format is "json".
func (p *Preview) Print(w io.Writer, format string) error {
	if format == "json" {
		return report.JSON(w, p)
	}
	fmt.Fprintf(w, "Dry run: run %s, %d VMs, seed %d; nothing was changed.\n", p.RunID, p.Total, p.Seed)
	for i, r := range p.Rounds {
		byKind := map[Kind][]string{}
		for _, c := range r.Events {
			byKind[c.Kind] = append(byKind[c.Kind], c.Namespace+"/"+c.VM)
		}
		var parts []string
		for _, k := range Kinds() {
			if len(byKind[k]) > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", k, strings.Join(byKind[k], ", ")))
			}
		}
		fmt.Fprintf(w, "round %d at +%s: %s\n", i+1, r.At, orText(strings.Join(parts, "; "), "nothing to choose"))
	}
	for _, title := range []struct {
		head string
		m    map[string]string
	}{{"Cannot migrate", p.CannotMigrate}, {"Not running (no round chooses them)", p.NotRunning}} {
		if len(title.m) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", title.head)
		for _, k := range slices.Sorted(maps.Keys(title.m)) {
			fmt.Fprintf(w, "  %s: %s\n", k, title.m[k])
		}
	}
	return nil
}
