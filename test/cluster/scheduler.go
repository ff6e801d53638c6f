package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// startControllers starts kube-controller-manager and kube-scheduler side
// by side: neither waits for the other, so the scheduler adds little to the
// time a control plane takes to start.
func (c *Cluster) startControllers(ctx context.Context, binDir, kcmConfig, schedConfig string, pki pkiFiles) error {
	var wg sync.WaitGroup
	var kcmErr, schedErr error
	wg.Go(func() { kcmErr = c.startControllerManager(ctx, binDir, kcmConfig, pki) })
	wg.Go(func() { schedErr = c.startScheduler(ctx, binDir, schedConfig, pki) })
	wg.Wait()
	return errors.Join(kcmErr, schedErr)
}

// schedulerConfig is the KubeSchedulerConfiguration: the default plugins
// and profile, as a cluster's scheduler runs them, one instance, and a
// client rate that does not make binding the bottleneck of a large run (the
// default 50 requests/s would).
const schedulerConfig = `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: %q
  qps: 500
  burst: 1000
leaderElection:
  leaderElect: false
enableProfiling: false
enableContentionProfiling: false
`

// startScheduler runs kube-scheduler, which binds the Pods the simulator
// creates for VMIs to the simulator's Nodes (or leaves them Unschedulable
// with its reasons), as on a real cluster.
func (c *Cluster) startScheduler(ctx context.Context, binDir, kubeconfig string, pki pkiFiles) error {
	client, err := tlsClient(pki.ca, nil)
	if err != nil {
		return err
	}
	config := filepath.Join(c.dir, "kube-scheduler.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, schedulerConfig, kubeconfig), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", config, err)
	}
	_, err = c.startServer(ctx, "kube-scheduler", filepath.Join(binDir, "kube-scheduler"), 1,
		func(ports []int) []string {
			return append([]string{"--config=" + config}, servingFlags(kubeconfig, ports[0], pki)...)
		},
		func(ctx context.Context, ports []int) error {
			return httpOK(ctx, client, loopbackURL("https", ports[0])+"/healthz", "ok")
		})
	return err
}
