// Command dev-cluster runs a local control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler on 127.0.0.1), the KubeVirt and
// CDI CRDs, the VMI simulator with its Nodes and its virt-handler and
// virt-controller metrics, and a Prometheus scraping them, for trying
// kubectl-virtwork without a cluster.
// It stays in the foreground supervising its processes until SIGTERM or
// SIGINT, then stops them. hack/dev-cluster.sh starts it in the background
// and stops it.
//
// In the state directory it writes: kubeconfig, pids ("name pid" per line,
// itself first), prometheus-url, logs under run/, and ready once
// everything is up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/prom"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func main() {
	stateDir := flag.String("state-dir", "", "directory for the kubeconfig, PID file, logs and cluster data (required)")
	binDir := flag.String("bin-dir", cluster.DefaultBinDir(), "directory holding etcd, kube-apiserver, kube-controller-manager and kube-scheduler")
	step := flag.Duration("step-delay", 2*time.Second, "simulated time between VMI phases")
	slow := flag.Duration("slow-start-delay", 30*time.Second, "simulated time between phases for VMs annotated "+simulator.FaultAnnotation+"=slow-start")
	nodes := flag.Int("nodes", 4, "simulated nodes, in two zones, 8 CPUs and 32Gi each")
	schedule := flag.Bool("schedule", true, "register the nodes as Node objects and let kube-scheduler place each VMI's virt-launcher Pod (false: VMIs go to a node by a hash of their name, plus one node for VMs annotated "+simulator.MetricsFaultAnnotation+"=target-down)")
	migration := flag.Duration("migration-duration", 0, "how long a VirtualMachineInstanceMigration stays Running before its switch-over (0: the step delay)")
	pause := flag.Duration("migration-pause", time.Second, "a migration's switch-over: how long no node exports the VM's metrics")
	promBin := flag.String("prometheus", "prometheus", `Prometheus binary ("" for none)`)
	rules := flag.String("prometheus-rules", "", "comma-separated rule files for Prometheus to load")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	simOpts := simulator.Options{StepDelay: *step, SlowStartDelay: *slow, Nodes: *nodes, MigrationDuration: *migration, MigrationPause: *pause}
	if *schedule {
		simOpts.Register = simulator.UniformNodes("virtwork-sim-node", *nodes, 2)
	}
	promOpts := prom.Options{Bin: *promBin, KillWithParent: true}
	for _, f := range strings.Split(*rules, ",") {
		// Prometheus reads a relative path from its configuration's
		// directory; the user meant theirs.
		if abs, err := filepath.Abs(f); f != "" && err == nil {
			promOpts.RuleFiles = append(promOpts.RuleFiles, abs)
		}
	}
	if err := run(ctx, *stateDir, *binDir, simOpts, promOpts); err != nil {
		fmt.Fprintf(os.Stderr, "dev-cluster: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stateDir, binDir string, simOpts simulator.Options, promOpts prom.Options) (err error) {
	if stateDir == "" {
		return errors.New("--state-dir is required")
	}
	runDir := filepath.Join(stateDir, "run")
	if err := os.RemoveAll(runDir); err != nil {
		return fmt.Errorf("clearing %s: %w", runDir, err)
	}
	readyFile := filepath.Join(stateDir, "ready")
	pidFile := filepath.Join(stateDir, "pids")
	kubeconfig := filepath.Join(stateDir, "kubeconfig")
	urlFile := filepath.Join(stateDir, "prometheus-url")
	for _, f := range []string{readyFile, pidFile, kubeconfig, urlFile} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}

	startCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	c, err := cluster.Start(startCtx, cluster.Options{BinDir: binDir, Dir: runDir, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "dev-cluster: stopping")
		err = errors.Join(err, c.Stop(), os.Remove(readyFile), os.Remove(pidFile))
	}()
	if err := copyFile(c.KubeconfigPath(), kubeconfig); err != nil {
		return err
	}
	pids := c.PIDs()
	if err := writePIDs(pidFile, pids); err != nil {
		return err
	}

	if simOpts.MetricsListener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return fmt.Errorf("listening for the simulator's metrics: %w", err)
	}
	simOpts.Log = os.Stderr
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- simulator.Run(simCtx, c.Config(), simOpts) }()
	defer func() {
		stopSim()
		err = errors.Join(err, <-simDone)
	}()

	p, err := startPrometheus(startCtx, filepath.Join(runDir, "prometheus"), simulator.ScrapeJobs(simOpts.MetricsListener.Addr(), simOpts), promOpts)
	if err != nil {
		return err
	}
	if p != nil {
		defer func() { err = errors.Join(err, p.Stop(), os.Remove(urlFile)) }()
		pids["prometheus"] = p.PID()
		if err := errors.Join(writePIDs(pidFile, pids), os.WriteFile(urlFile, []byte(p.URL()+"\n"), 0o644)); err != nil {
			return err
		}
	}

	if err := os.WriteFile(readyFile, []byte(kubeconfig+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "dev-cluster: ready; export KUBECONFIG=%s\n", kubeconfig)
	select {
	case <-ctx.Done():
		return nil
	case err := <-simDone:
		simDone <- nil // already reported here; the deferred stop must not block
		return fmt.Errorf("simulator stopped: %w", err)
	}
}

// startPrometheus starts a Prometheus in dir scraping the simulator, or
// says why there is none and returns nil.
func startPrometheus(ctx context.Context, dir string, jobs []prom.Job, opts prom.Options) (*prom.Server, error) {
	if opts.Bin == "" {
		fmt.Fprintln(os.Stderr, "dev-cluster: no Prometheus (-prometheus \"\")")
		return nil, nil
	}
	bin, err := exec.LookPath(opts.Bin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dev-cluster: no Prometheus: %v; install Debian's prometheus (make test-deps) for one\n", err)
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	opts.Bin, opts.Dir, opts.Jobs = bin, dir, jobs
	fmt.Fprintf(os.Stderr, "dev-cluster: starting Prometheus (log %s)\n", filepath.Join(dir, "prometheus.log"))
	p, err := prom.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("starting Prometheus: %w", err)
	}
	fmt.Fprintf(os.Stderr, "dev-cluster: Prometheus (pid %d) at %s\n", p.PID(), p.URL())
	return p, nil
}

// writePIDs records this supervisor first, then each control-plane process
// and Prometheus when it runs, so hack/dev-cluster.sh down can stop
// exactly these.
func writePIDs(path string, pids map[string]int) error {
	content := fmt.Sprintf("dev-cluster %d\n", os.Getpid())
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "prometheus"} {
		pid, ok := pids[name]
		if !ok && name != "prometheus" {
			return fmt.Errorf("%s is not running", name)
		}
		if ok {
			content += fmt.Sprintf("%s %d\n", name, pid)
		}
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return out.Close()
}
