package validate

import (
	"fmt"
	"io"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/lint"
)

// Print writes the entry's verdict: "ok" or "FAIL", the directory and the
// workload, then one line per role with each validator's verdict and the
// output of those that failed.
func (e Entry) Print(w io.Writer) {
	if e.Err != nil {
		fmt.Fprintf(w, "FAIL  %s\n      %v\n", e.Dir, e.Err)
		return
	}
	var lines []string
	shown := map[string]string{} // failure detail -> the role it was shown for
	for _, role := range e.Roles {
		line := fmt.Sprintf("%s: %s", role.Name, lint.Summary(role.Results))
		var details []string
		for _, r := range role.Results {
			if r.Status != lint.Failed {
				continue
			}
			// Roles often get the same files (all of them, unless the
			// workload lists a role's files): say a failure in a
			// shared file once.
			if first, dup := shown[r.Check+r.Detail]; dup {
				line += " (as for " + first + ")"
				continue
			}
			shown[r.Check+r.Detail] = role.Name
			details = append(details, fmt.Sprintf("  %s (%s):\n%s", r.Check, role.Name, indent(r.Detail, "    ")))
		}
		lines = append(append(lines, line), details...)
	}
	verdict := "ok  "
	if !e.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s (%s)\n", verdict, e.Dir, e.Name)
	for _, l := range lines {
		fmt.Fprintln(w, indent(l, "      "))
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
