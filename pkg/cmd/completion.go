package cmd

import (
	"strings"

	"github.com/spf13/cobra"
)

// registerWorkloadCompletion completes --workloads one comma-separated
// name at a time.
func registerWorkloadCompletion(c *cobra.Command, deps Deps) {
	_ = c.RegisterFlagCompletionFunc("workloads", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done, partial := "", toComplete
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done, partial = toComplete[:i+1], toComplete[i+1:]
		}
		already := map[string]bool{}
		for _, n := range strings.Split(done, ",") {
			already[n] = true
		}
		var out []string
		for _, name := range append(deps.Registry.Names(), "all") {
			if strings.HasPrefix(name, partial) && !already[name] {
				out = append(out, done+name)
			}
		}
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	})
}
