package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
	"github.com/virtwork/kubectl-virtwork/test/process"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// SizesEnv selects BenchmarkScale's run sizes, as VMs: "1000,3000" for a
// quicker run. Default: 1,000, 3,000 and 10,000.
const SizesEnv = "VIRTWORK_BENCH_SIZES"

func sizes(b *testing.B) []int {
	v := os.Getenv(SizesEnv)
	if v == "" {
		return []int{1000, 3000, 10000}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 10000 {
			b.Fatalf("%s=%q: want VM counts between 1 and 10000, separated by commas", SizesEnv, v)
		}
		out = append(out, n)
	}
	return out
}

// PluginEnv names a binary BenchmarkScale runs instead of building one:
// an earlier version's, to compare with in the same conditions.
const PluginEnv = "VIRTWORK_BENCH_PLUGIN"

// buildPlugin builds the real binary once, as a user runs it: as
// hack/release builds it, CGO_ENABLED=0 (the pure-Go SQLite), whose
// mapped code alone is some 20 MiB less resident than a cgo build's.
func buildPlugin(b *testing.B) string {
	if bin := os.Getenv(PluginEnv); bin != "" {
		return bin
	}
	bin := filepath.Join(b.TempDir(), "kubectl-virtwork")
	build := exec.Command("go", "build", "-o", bin, "github.com/virtwork/kubectl-virtwork/cmd/kubectl-virtwork")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// stageRun is one run of the plugin's binary: its wall time, peak RSS,
// the requests the proxy saw from it, and, for an apply, when it printed
// that the apply was done.
type stageRun struct {
	wall, applied time.Duration
	// appliedIn is the apply's own time as the plugin printed it.
	appliedIn time.Duration
	requests  int64
	// waitRequests are an apply's requests from the wait's first one on
	// (its first watch, or its first request for VMIs, which apply never
	// sends); waitByVerb counts them by verb and resource. Counted from the
	// proxy's log, not from when the applied line was read.
	waitRequests int64
	waitByVerb   string
	// byVerb counts all its requests by verb and resource.
	byVerb string
	maxRSS int64 // bytes
}

func requestsSoFar(p *faultproxy.Proxy) int64 { return p.Reads() + p.Writes() }

// runPlugin runs the binary with args against the proxy, watching its
// stderr for the "applied N/N objects of run … in D" line, on which it
// calls applied (when not nil).
func runPlugin(ctx context.Context, bin, kubeconfig string, p *faultproxy.Proxy, applied func(), args ...string) (stageRun, string, error) {
	var r stageRun
	cmd := exec.CommandContext(ctx, bin, append(args, "--kubeconfig", kubeconfig)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return r, "", err
	}
	var out strings.Builder
	cmd.Stdout = &out
	before := requestsSoFar(p)
	start := time.Now()
	m, err := process.StartMeasured(cmd)
	if err != nil {
		return r, "", err
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if rest, ok := strings.CutPrefix(line, "applied "); ok && r.applied == 0 {
			r.applied = time.Since(start)
			if i := strings.LastIndex(rest, " in "); i >= 0 {
				r.appliedIn, _ = time.ParseDuration(rest[i+4:])
			}
			if applied != nil {
				applied()
			}
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	u, err := m.Wait()
	r.wall = time.Since(start)
	r.requests = requestsSoFar(p) - before
	r.maxRSS = u.PeakRSS
	_, r.byVerb = countRequests(p, before, before+r.requests, func(faultproxy.Request) bool { return true })
	if r.applied != 0 {
		r.waitRequests, r.waitByVerb = countRequests(p, before, before+r.requests, func(q faultproxy.Request) bool {
			return q.Verb == "watch" || q.Resource == "virtualmachineinstances"
		})
	}
	if err != nil {
		return r, out.String() + log.String(), fmt.Errorf("%s: %w", strings.Join(args[:1], " "), err)
	}
	return r, out.String() + log.String(), nil
}

// countRequests counts the proxy's requests numbered from+1 to to, from
// the first one that first says on, in all and by verb and resource.
func countRequests(p *faultproxy.Proxy, from, to int64, first func(faultproxy.Request) bool) (int64, string) {
	counts := map[string]int{}
	var n int64
	started := false
	for _, r := range p.Requests() {
		if r.N <= from || r.N > to {
			continue
		}
		started = started || first(r)
		if started {
			counts[r.Verb+" "+r.Resource]++
			n++
		}
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return n, strings.Join(parts, ", ")
}

// scaleRow is one size's figures.
type scaleRow struct {
	vms, objects       int
	bare               time.Duration
	apply, wait, clean stageRun
	// status lists the whole run, every VM's state, once it is Ready.
	status stageRun
	// closedWatchers is how many watchers the API server closed for
	// falling behind during apply and wait, the simulator's included.
	closedWatchers float64
}

// terminatedWatchers reads the API server's count of watchers it closed
// because they did not keep up with their events
// (apiserver_terminated_watchers_total, all resources).
func terminatedWatchers(b *testing.B, cfg *rest.Config) float64 {
	return metricSum(b, cfg, "apiserver_terminated_watchers_total{")
}

// BenchmarkScale applies, waits for (to Ready, with the simulator playing
// KubeVirt) and cleans up runs of 1,000, 3,000 and 10,000 cpu VMs with the
// real binary, after a bare 32-worker server-side-apply loop of the same
// objects on the same server; every request goes through one counting
// proxy. It prints, per size, each stage's wall time, apply's objects/s
// against the bare loop's, the requests per VM while waiting and while
// cleaning up, and the binary's peak RSS.
func BenchmarkScale(b *testing.B) {
	c := cluster.Shared(b)
	cfg := c.Config()
	bin := buildPlugin(b)
	proxy, err := faultproxy.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer proxy.Stop()
	var rows []scaleRow
	for _, n := range sizes(b) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				row := scaleOnce(b, c, cfg, proxy, bin, n)
				rows = append(rows, row)
				printScale([]scaleRow{row}) // as it comes: a 10,000-VM size takes many minutes
			}
		})
	}
	printScale(rows)
}

func scaleOnce(b *testing.B, c *cluster.Cluster, cfg *rest.Config, proxy *faultproxy.Proxy, bin string, n int) scaleRow {
	stamp := time.Now().Format("150405")
	nsBare, nsTool := fmt.Sprintf("scale-bare-%d-%s", n, stamp), fmt.Sprintf("scale-tool-%d-%s", n, stamp)
	defer deleteNamespaces(b, cfg, nsBare, nsTool)
	run := []string{"--workloads", "cpu", "--vm-count", strconv.Itoa(n)}
	row := scaleRow{vms: n}

	var objs []*unstructured.Unstructured
	for o := range runs.Bundle(b, nsBare, run...).Objects() {
		objs = append(objs, o)
	}
	row.objects = len(objs)
	bareCfg := proxy.Config()
	bareCfg.QPS, bareCfg.Burst = 5000, 10000
	start := time.Now()
	if err := bareLoop(b.Context(), dynamicClient(b, bareCfg), objs); err != nil {
		b.Fatalf("bare loop: %v", err)
	}
	row.bare = time.Since(start)

	// The simulator starts once everything is applied, so that the apply,
	// like the bare loop, has the server to itself; the wait then follows
	// every VM from Pending to Ready.
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan error, 1)
	simCfg := rest.CopyConfig(cfg)
	simCfg.QPS, simCfg.Burst = 2000, 4000
	started := false
	startSim := func() {
		started = true
		go func() {
			simDone <- simulator.Run(simCtx, simCfg, simulator.Options{Namespace: nsTool, StepDelay: 20 * time.Millisecond, Workers: 32})
		}()
	}
	defer func() {
		stopSim()
		if started {
			if err := <-simDone; err != nil {
				b.Error(err)
			}
		}
	}()
	kubeconfig := filepath.Join(b.TempDir(), "kubeconfig")
	if err := proxy.WriteKubeconfig(kubeconfig, nsTool); err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(b.TempDir(), "audit.db")
	runID := fmt.Sprintf("5ca1e000-0000-4000-8000-%012d", n)
	var log string
	var err error
	closedBefore := terminatedWatchers(b, cfg)
	row.apply, log, err = runPlugin(b.Context(), bin, kubeconfig, proxy, startSim, append([]string{"apply", "-n", nsTool, "--run-id", runID,
		"--concurrency", strconv.Itoa(workers), "--timeout", "30m", "--audit-db", db}, run...)...)
	if err != nil || row.apply.applied == 0 {
		b.Fatalf("apply: %v\n%s", err, log)
	}
	fmt.Printf("%d VMs: bare loop %.1fs; apply %.1fs, wait %.1fs, %d requests while waiting, peak RSS %.0f MiB; cleaning up\n", n, row.bare.Seconds(),
		row.apply.applied.Seconds(), (row.apply.wall - row.apply.applied).Seconds(), row.apply.waitRequests, float64(row.apply.maxRSS)/(1<<20))
	row.closedWatchers = terminatedWatchers(b, cfg) - closedBefore
	row.status, log, err = runPlugin(b.Context(), bin, kubeconfig, proxy, nil, "status", "-n", nsTool, "--run-id", runID)
	if err != nil || strings.Count(log, "Ready") < n { // each VM's line says it
		b.Fatalf("status: %v\n%.2000s", err, log)
	}
	row.clean, log, err = runPlugin(b.Context(), bin, kubeconfig, proxy, nil, "cleanup", "-n", nsTool, "--run-id", runID, "--yes", "--timeout", "30m", "--audit-db", db)
	if err != nil {
		b.Fatalf("cleanup: %v\n%s", err, log)
	}
	return row
}

// printScale prints the table the README's performance section shows.
func printScale(rows []scaleRow) {
	fmt.Printf("\n%6s %7s | %-17s | %-27s | %-22s | %-22s | %-21s | %s\n", "VMs", "objects", "bare loop", "apply (virtwork)", "wait to Ready", "apply+wait peak RSS", "cleanup", "status")
	for _, r := range rows {
		applyRate := float64(r.objects) / r.apply.applied.Seconds()
		bareRate := float64(r.objects) / r.bare.Seconds()
		waitReq := r.apply.waitRequests
		fmt.Printf("%6d %7d | %6.1fs %5.0f obj/s | %6.1fs %5.0f obj/s %4.0f%% | %6.1fs %4d req %.4f/VM | %15.0f MiB | %6.1fs %4d req %.0f MiB | %.1fs %d req %.0f MiB\n",
			r.vms, r.objects, r.bare.Seconds(), bareRate,
			r.apply.applied.Seconds(), applyRate, 100*applyRate/bareRate,
			(r.apply.wall - r.apply.applied).Seconds(), waitReq, float64(waitReq)/float64(r.vms),
			float64(r.apply.maxRSS)/(1<<20),
			r.clean.wall.Seconds(), r.clean.requests, float64(r.clean.maxRSS)/(1<<20),
			r.status.wall.Seconds(), r.status.requests, float64(r.status.maxRSS)/(1<<20))
		fmt.Printf("%6s %7s   (apply's own time %s, %d requests; the process's first %s went to start-up, preflight and render)\n",
			"", "", r.apply.appliedIn, r.apply.requests-r.apply.waitRequests, (r.apply.applied - r.apply.appliedIn).Round(time.Millisecond))
		fmt.Printf("%6s %7s   requests while waiting: %s; watchers the API server closed for falling behind (all clients): %.0f\n", "", "", r.apply.waitByVerb, r.closedWatchers)
		fmt.Printf("%6s %7s   cleanup's: %s; status's: %s\n", "", "", r.clean.byVerb, r.status.byVerb)
	}
}
