// Command dev-cluster runs a local control plane (etcd, kube-apiserver,
// kube-controller-manager on 127.0.0.1), the KubeVirt and CDI CRDs and the
// VMI simulator, for trying kubectl-virtwork without a cluster. It stays in
// the foreground supervising its processes until SIGTERM or SIGINT, then
// stops them. hack/dev-cluster.sh starts it in the background and stops it.
//
// In the state directory it writes: kubeconfig, pids ("name pid" per line,
// itself first), logs under run/, and ready once everything is up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

func main() {
	stateDir := flag.String("state-dir", "", "directory for the kubeconfig, PID file, logs and cluster data (required)")
	binDir := flag.String("bin-dir", cluster.DefaultBinDir(), "directory holding etcd, kube-apiserver and kube-controller-manager")
	step := flag.Duration("step-delay", 2*time.Second, "simulated time between VMI phases")
	slow := flag.Duration("slow-start-delay", 30*time.Second, "simulated time between phases for VMs annotated "+simulator.FaultAnnotation+"=slow-start")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, *stateDir, *binDir, simulator.Options{StepDelay: *step, SlowStartDelay: *slow}); err != nil {
		fmt.Fprintf(os.Stderr, "dev-cluster: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, stateDir, binDir string, simOpts simulator.Options) (err error) {
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
	for _, f := range []string{readyFile, pidFile, kubeconfig} {
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
	if err := writePIDs(pidFile, c.PIDs()); err != nil {
		return err
	}

	simOpts.Log = os.Stderr
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- simulator.Run(simCtx, c.Config(), simOpts) }()
	defer func() {
		stopSim()
		err = errors.Join(err, <-simDone)
	}()

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

// writePIDs records this supervisor first, then each control-plane process,
// so hack/dev-cluster.sh down can stop exactly these.
func writePIDs(path string, pids map[string]int) error {
	content := fmt.Sprintf("dev-cluster %d\n", os.Getpid())
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		pid, ok := pids[name]
		if !ok {
			return fmt.Errorf("%s is not running", name)
		}
		content += fmt.Sprintf("%s %d\n", name, pid)
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
