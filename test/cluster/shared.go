package cluster

import (
	"context"
	"errors"
	"fmt"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// RequireEnv names the environment variable that turns missing binaries
// from a skipped test into a failed one, so CI cannot pass by skipping.
const RequireEnv = "VIRTWORK_REQUIRE_CLUSTER"

// startTimeout bounds bringing up the shared control plane.
const startTimeout = 4 * time.Minute

// shared is the one control plane of a test binary. It is the only
// package-level state here: a test package gets one control plane, started
// on first use by Shared and stopped by Main.
var shared struct {
	mu      sync.Mutex
	cluster *Cluster
	err     error
	started bool
}

// Shared returns the test binary's control plane, starting it on first use.
// Without binaries the test is skipped, or fails when
// VIRTWORK_REQUIRE_CLUSTER=1. The test package's TestMain must call Main.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	binDir := DefaultBinDir()
	if err := CheckBinaries(binDir); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v (%s=1)", err, RequireEnv)
		}
		t.Skipf("%v; set %s=1 to fail instead", err, RequireEnv)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.started {
		shared.started = true
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		shared.cluster, shared.err = Start(ctx, Options{BinDir: binDir, Log: testLog{}})
	}
	if shared.err != nil {
		t.Fatalf("starting control plane: %v", shared.err)
	}
	return shared.cluster
}

// Main runs the tests and stops the shared control plane, if one was
// started. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster != nil {
		if err := shared.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping control plane: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		shared.cluster = nil
	}
	return code
}

// testLog prints start-up progress only under go test -v.
type testLog struct{}

func (testLog) Write(p []byte) (int, error) {
	if testing.Verbose() {
		return os.Stderr.Write(p)
	}
	return len(p), nil
}

// Namespace creates a fresh namespace for the test and deletes it when the
// test ends. Deletion is not awaited: the namespace controller finishes it.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	client, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		t.Fatalf("creating client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "virtwork-test-",
			Annotations:  map[string]string{"virtwork.test/test-name": t.Name()},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !errors.Is(err, context.Canceled) {
			t.Errorf("deleting namespace %s: %v", ns.Name, err)
		}
	})
	return ns.Name
}

// Clients returns a dynamic client with a rate limit that does not throttle
// concurrent tests, and a REST mapper backed by the server's discovery, as
// the plugin builds them.
func (c *Cluster) Clients(t testing.TB) (dynamic.Interface, meta.RESTMapper) {
	t.Helper()
	cfg := c.Config()
	cfg.QPS, cfg.Burst = 1000, 2000
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("creating dynamic client: %v", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatalf("creating discovery client: %v", err)
	}
	return client, restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
}
