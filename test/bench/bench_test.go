package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/google/uuid"

	"github.com/virtwork/kubectl-virtwork/pkg/cmd"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// benchArgs renders 1,000 VMs: 500 iperf3 pairs with their Services and
// Secrets (2,002 objects in all).
var benchArgs = []string{"--workloads", "network", "--vm-count", "500"}

const workers = 32

func plugin(ctx context.Context, kubeconfig string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	deps := cmd.Deps{Registry: workloads.Builtin(), LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile: os.ReadFile, NewRunID: uuid.NewString}
	if code := cmd.Execute(ctx, streams, deps, append(args, "--kubeconfig", kubeconfig, "--no-audit")); code != 0 {
		return out.String(), fmt.Errorf("exit %d: %s", code, errOut.String())
	}
	return out.String(), nil
}

func dynamicClient(b *testing.B, cfg *rest.Config) dynamic.Interface {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 5000, 10000
	c, err := dynamic.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// deleteNamespaces deletes the namespaces and waits until they are gone,
// so that the namespace controller's work does not load the next benchmark.
func deleteNamespaces(b *testing.B, cfg *rest.Config, names ...string) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, n := range names {
		_ = cs.CoreV1().Namespaces().Delete(ctx, n, metav1.DeleteOptions{})
	}
	for _, n := range names {
		err := utilwait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := cs.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		if err != nil {
			b.Errorf("namespace %s not gone: %v", n, err)
		}
	}
}

// bareLoop is the baseline: the namespace, then every other object through
// `workers` goroutines doing nothing but server-side apply.
func bareLoop(ctx context.Context, client dynamic.Interface, objs []*unstructured.Unstructured) error {
	gvr := func(o *unstructured.Unstructured) schema.GroupVersionResource {
		switch o.GetKind() {
		case "Namespace":
			return schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
		case "Service":
			return schema.GroupVersionResource{Version: "v1", Resource: "services"}
		case "Secret":
			return schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
		}
		return schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
	}
	opts := metav1.ApplyOptions{FieldManager: "bare-loop", Force: true}
	if _, err := client.Resource(gvr(objs[0])).Apply(ctx, objs[0].GetName(), objs[0], opts); err != nil {
		return err
	}
	jobs := make(chan *unstructured.Unstructured)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				if _, err := client.Resource(gvr(o)).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o, opts); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for _, o := range objs[1:] {
		jobs <- o
	}
	close(jobs)
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return err
	}
	return nil
}

// BenchmarkApply1000VMs applies the same 1,000-VM bundle three ways on one
// API server: the bare loop, kubectl-virtwork apply (render, discovery and
// all), and kubectl apply --server-side -f of the rendered file.
func BenchmarkApply1000VMs(b *testing.B) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Skip("kubectl not installed")
	}
	c := cluster.Shared(b)
	cfg := c.Config()
	client := dynamicClient(b, cfg)
	stamp := time.Now().Format("150405")
	nsBare, nsTool, nsKubectl := "bench-bare-"+stamp, "bench-tool-"+stamp, "bench-kubectl-"+stamp
	defer deleteNamespaces(b, cfg, nsBare, nsTool, nsKubectl)

	bundle := runs.Bundle(b, nsBare, benchArgs...)
	var objs []*unstructured.Unstructured
	for o := range bundle.Objects() {
		objs = append(objs, o)
	}
	file := filepath.Join(b.TempDir(), "run.yaml")
	kb := runs.Bundle(b, nsKubectl, benchArgs...)
	var buf bytes.Buffer
	if err := kb.WriteYAML(&buf); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	var bare, tool, kube time.Duration
	for b.Loop() {
		start := time.Now()
		if err := bareLoop(b.Context(), client, objs); err != nil {
			b.Fatalf("bare loop: %v", err)
		}
		bare = time.Since(start)

		start = time.Now()
		args := append([]string{"apply", "-n", nsTool, "--no-wait", "--concurrency", strconv.Itoa(workers)}, benchArgs...)
		if out, err := plugin(b.Context(), c.KubeconfigPath(), args...); err != nil {
			b.Fatalf("kubectl-virtwork apply: %v\n%s", err, out)
		}
		tool = time.Since(start)

		start = time.Now()
		if out, err := exec.Command(kubectl, "apply", "--server-side", "-f", file, "--kubeconfig", c.KubeconfigPath()).CombinedOutput(); err != nil {
			b.Fatalf("kubectl apply: %v\n%s", err, out)
		}
		kube = time.Since(start)
	}
	b.ReportMetric(bare.Seconds(), "bare-loop-s")
	b.ReportMetric(tool.Seconds(), "virtwork-s")
	b.ReportMetric(kube.Seconds(), "kubectl-s")
	b.ReportMetric(kube.Seconds()/tool.Seconds(), "x-faster-than-kubectl")
	b.ReportMetric(100*bare.Seconds()/tool.Seconds(), "%-of-bare-loop-throughput")
	fmt.Printf("apply %d objects (1,000 VMs): kubectl-virtwork %.2fs, kubectl --server-side %.2fs (%.1fx), bare %d-worker loop %.2fs (virtwork at %.0f%% of its throughput)\n",
		len(objs), tool.Seconds(), kube.Seconds(), kube.Seconds()/tool.Seconds(), workers, bare.Seconds(), 100*bare.Seconds()/tool.Seconds())
}

// countingTransport counts the requests one client sends.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// runningLog timestamps the simulator's "VMI ...: Running" lines.
type runningLog struct {
	mu   sync.Mutex
	at   map[string]time.Time
	part []byte
}

func (l *runningLog) Write(p []byte) (int, error) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		line := string(l.part[:i])
		l.part = l.part[i+1:]
		if rest, ok := strings.CutPrefix(line, "simulator: VirtualMachineInstance "); ok && strings.HasSuffix(rest, ": Running") {
			nsName := strings.TrimSuffix(rest, ": Running")
			l.at[nsName[strings.Index(nsName, "/")+1:]] = now
		}
	}
	return len(p), nil
}

func apiserverRequests(b *testing.B, cfg *rest.Config) float64 {
	return metricSum(b, cfg, "apiserver_request_total{")
}

// metricSum adds up the API server's /metrics samples whose line starts
// with prefix.
func metricSum(b *testing.B, cfg *rest.Config, prefix string) float64 {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		b.Fatalf("scraping /metrics: %v", err)
	}
	total := 0.0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			total += v
		}
	}
	return total
}

// BenchmarkWait1000VMs follows 1,000 VMs to Running while the simulator
// brings them up: it counts the requests the wait sends, how long after
// the simulator wrote a VMI's Running the wait saw it, and, with every VM
// already running, the requests the API server received for a whole wait
// (from its /metrics).
func BenchmarkWait1000VMs(b *testing.B) {
	c := cluster.Shared(b)
	cfg := c.Config()
	ns := "bench-wait-" + time.Now().Format("150405")
	defer deleteNamespaces(b, cfg, ns)
	bundle := runs.Bundle(b, ns, "--workloads", "cpu", "--vm-count", "1000")
	if _, err := plugin(b.Context(), c.KubeconfigPath(), "apply", "-n", ns, "--no-wait", "--workloads", "cpu", "--vm-count", "1000", "--run-id", bundle.RunID); err != nil {
		b.Fatal(err)
	}

	log := &runningLog{at: map[string]time.Time{}}
	simCtx, stopSim := context.WithCancel(context.Background())
	simDone := make(chan error, 1)
	simCfg := rest.CopyConfig(cfg)
	simCfg.QPS, simCfg.Burst = 2000, 4000
	go func() {
		simDone <- simulator.Run(simCtx, simCfg, simulator.Options{Namespace: ns, StepDelay: 20 * time.Millisecond, Workers: 32, Log: log})
	}()

	counter := &countingTransport{}
	waitCfg := rest.CopyConfig(cfg)
	waitCfg.QPS, waitCfg.Burst = 2000, 4000
	waitCfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { counter.next = rt; return counter })
	client, err := dynamic.NewForConfig(waitCfg)
	if err != nil {
		b.Fatal(err)
	}
	// The latency measured is from a VMI's Running to the wait seeing it,
	// as in earlier runs of this benchmark.
	opts := wait.Options{Namespace: ns, RunID: bundle.RunID, Expected: bundle.VMNames(), For: wait.ForRunning}

	b.ResetTimer()
	var res *wait.Result
	for b.Loop() {
		ctx, cancel := context.WithTimeout(b.Context(), 10*time.Minute)
		res, err = wait.ForRun(ctx, client, opts)
		cancel()
		if err != nil || !res.Done || res.Counts().Reached != 1000 {
			b.Fatalf("wait: %v %+v", err, res.Counts())
		}
	}
	b.StopTimer()
	stopSim()
	if err := <-simDone; err != nil {
		b.Fatal(err)
	}

	var lat []time.Duration
	log.mu.Lock()
	for _, vm := range res.VMs {
		if at, ok := log.at[vm.Name]; ok {
			lat = append(lat, max(0, vm.SeenRunning.Sub(at)))
		}
	}
	log.mu.Unlock()
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no Running transitions were logged")
	}

	// The API server's own count for a wait over 1,000 running VMs, with
	// the simulator stopped so that nothing else is talking to it.
	before := apiserverRequests(b, cfg)
	sent := counter.n.Load()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r, err := wait.ForRun(ctx, client, wait.Options{Namespace: ns, RunID: bundle.RunID, For: wait.ForRunning}); err != nil || !r.Done {
		b.Fatalf("idle wait: %v", err)
	}
	sent = counter.n.Load() - sent
	// A WATCH is counted when the server has closed it; give it a moment.
	var after float64
	for deadline := time.Now().Add(5 * time.Second); ; {
		after = apiserverRequests(b, cfg) - 1 // the scrape itself is one request
		if after-before >= float64(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	serverSide := (after - before) / 1000

	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(counter.n.Load())/float64(b.N)/1000, "client-requests/VM")
	b.ReportMetric(serverSide, "apiserver-requests/VM")
	b.ReportMetric(float64(p(0.5).Milliseconds()), "p50-report-ms")
	b.ReportMetric(float64(p(0.95).Milliseconds()), "p95-report-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-report-ms")
	fmt.Printf("wait for 1,000 VMs: %d requests sent (%.4f/VM); API server counted %.4f requests/VM for a wait over running VMs; Running reported p50 %s, p95 %s, max %s after the write\n",
		counter.n.Load()/int64(b.N), float64(counter.n.Load())/float64(b.N)/1000, serverSide, p(0.5), p(0.95), lat[len(lat)-1])
}
