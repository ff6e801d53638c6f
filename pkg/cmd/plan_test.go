package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPlan: plan takes render's run flags and prints the chart and the
// aggregate, or with -o json the model with absolute times; a workload
// whose level param is 0 (tps) runs unlimited, and one without a level (a
// custom one) runs as it is. It needs no cluster and writes nothing to
// stderr.
func TestPlan(t *testing.T) {
	start := time.Now().UTC().Add(2 * time.Hour).Truncate(time.Hour)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"workload.yaml":         "name: echo\ndescription: echoes a word\nroles: [{name: w, unit: virtwork-echo.service}]\n",
		"virtwork-echo.service": "[Service]\nExecStart=/bin/echo hello\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"plan", "--workload-dir", dir, "--workloads", "cpu,tps,echo", "--vm-count", "20", "--run-id", runID,
		"--profile", "cpu=square:high=90,low=10,period=10m", "--start-at", start.Format(time.RFC3339), "--duration", "2h"}
	r := execute(t, nil, nil, args...)
	if r.code != ExitOK || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{
		"cpu: 20 VMs × 2 vCPU, level load-percent: % of each vCPU busy, 1-100\n",
		"  profile  square:high=90,low=10,period=10m,duty=50\n",
		"  start    " + start.Format(time.RFC3339) + "\n",
		"  " + start.Format("15:04Z") + " ▕█████▁▁▁▁▁█████",
		"  20 cpu VMs × 2 vCPU at 90% ⇒ 36 vCPU busy from " + start.Format("15:04Z") + " to " + start.Add(5*time.Minute).Format("15:04Z") + "\n",
		"\ntps: unlimited (rate 0; a --profile gives it levels), 40 VMs × 2 vCPU\n  runs     ",
		"\necho: constant (no level to shape), 20 VMs × 2 vCPU\n  runs     echoes a word\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}

	j := execute(t, nil, nil, append(args, "-o", "json", "--window", "30m")...)
	var p struct {
		WindowSeconds int64 `json:"windowSeconds"`
		Workloads     []struct {
			VMs []struct {
				Name     string `json:"name"`
				Segments []struct{ From, To string }
			} `json:"vms"`
		} `json:"workloads"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &p); err != nil || j.code != ExitOK {
		t.Fatalf("exit %d, %v:\n%s", j.code, err, j.stdout)
	}
	vm := p.Workloads[0].VMs[0]
	if p.WindowSeconds != 1800 || vm.Name != "virtwork-cpu-3f2b6c1e-0" || len(vm.Segments) != 6 ||
		vm.Segments[0].From != start.Format(time.RFC3339) || vm.Segments[5].To != start.Add(30*time.Minute).Format(time.RFC3339) {
		t.Errorf("json: window %d, first VM %+v", p.WindowSeconds, vm)
	}
}

func TestPlanBadInput(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--window 10s", `--window must be between 1m and 30d, got "10s"`},
		{"-o yaml", `--output must be json, got "yaml"`},
		{"--vm-count 0", "--vm-count must be between 1 and 10000, got 0"},
	} {
		r := execute(t, nil, nil, append([]string{"plan"}, strings.Fields(tc.args)...)...)
		if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("plan %s: exit %d, stdout %q, stderr %q", tc.args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestPlanCompletion(t *testing.T) {
	for args, want := range map[string]string{"plan --workloads c": "\ncpu\n", "plan -o ": "json\n"} {
		r := execute(t, nil, nil, append([]string{"__complete"}, strings.Split(args, " ")...)...)
		if !strings.Contains("\n"+r.stdout, want) {
			t.Errorf("__complete %s:\n%s", args, r.stdout)
		}
	}
}
