package cluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

func TestCheckBinaries(t *testing.T) {
	dir := t.TempDir()
	if err := cluster.CheckBinaries(dir); !errors.Is(err, cluster.ErrBinariesMissing) {
		t.Fatalf("CheckBinaries(empty dir) = %v, want ErrBinariesMissing", err)
	}
	for _, name := range []string{"etcd", "kube-apiserver", "kube-scheduler"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "kube-controller-manager"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cluster.CheckBinaries(dir); !errors.Is(err, cluster.ErrBinariesMissing) {
		t.Fatalf("CheckBinaries(non-executable controller manager) = %v, want ErrBinariesMissing", err)
	}
	if err := os.Chmod(filepath.Join(dir, "kube-controller-manager"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := cluster.CheckBinaries(dir); err != nil {
		t.Fatalf("CheckBinaries(complete dir) = %v, want nil", err)
	}
}

func TestDefaultBinDir(t *testing.T) {
	t.Setenv("VIRTWORK_K8S_BIN_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got, want := cluster.DefaultBinDir(), "/cache/virtwork/k8s-bins/"+cluster.KubernetesVersion; got != want {
		t.Errorf("DefaultBinDir() = %q, want %q", got, want)
	}
	t.Setenv("VIRTWORK_K8S_BIN_DIR", "/opt/bins")
	if got := cluster.DefaultBinDir(); got != "/opt/bins" {
		t.Errorf("DefaultBinDir() with VIRTWORK_K8S_BIN_DIR = %q, want /opt/bins", got)
	}
}

// TestControlPlane checks what the other suites rely on: the version the
// binaries were built as, RBAC enforcement, the CRDs, and a kubeconfig that
// works on its own.
func TestControlPlane(t *testing.T) {
	c := cluster.Shared(t)
	ctx := t.Context()

	disco, err := discovery.NewDiscoveryClientForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	version, err := disco.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if version.GitVersion != cluster.KubernetesVersion {
		t.Errorf("server version = %q, want %q", version.GitVersion, cluster.KubernetesVersion)
	}

	for gv, resources := range map[string][]string{
		"kubevirt.io/v1":           {"virtualmachines", "virtualmachineinstances", "virtualmachineinstancemigrations"},
		"cdi.kubevirt.io/v1beta1":  {"datavolumes"},
		"monitoring.coreos.com/v1": {"prometheusrules"},
		"instancetype.kubevirt.io/v1beta1": {"virtualmachineinstancetypes", "virtualmachineclusterinstancetypes",
			"virtualmachinepreferences", "virtualmachineclusterpreferences"},
	} {
		list, err := disco.ServerResourcesForGroupVersion(gv)
		if err != nil {
			t.Fatalf("discovering %s: %v", gv, err)
		}
		served := map[string]bool{}
		for _, r := range list.APIResources {
			served[r.Name] = true
		}
		for _, r := range resources {
			if !served[r] {
				t.Errorf("%s does not serve %s", gv, r)
			}
		}
	}

	anonymous := c.Config()
	anonymous.Impersonate.UserName = "virtwork-nobody"
	nobody, err := kubernetes.NewForConfig(anonymous)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nobody.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing namespaces as an unbound user: err = %v, want Forbidden (RBAC on)", err)
	}

	fromFile, err := clientcmd.BuildConfigFromFlags("", c.KubeconfigPath())
	if err != nil {
		t.Fatalf("loading %s: %v", c.KubeconfigPath(), err)
	}
	admin, err := kubernetes.NewForConfig(fromFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{}); err != nil {
		t.Errorf("getting kube-system with the kubeconfig file: %v", err)
	}

	pids := c.PIDs()
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		pid, ok := pids[name]
		if !ok {
			t.Errorf("PIDs() has no %s: %v", name, pids)
			continue
		}
		if err := syscall.Kill(pid, 0); err != nil {
			t.Errorf("%s pid %d is not running: %v", name, pid, err)
		}
	}
}

// TestNamespaceDeletion checks the harness's fresh namespace exists and that
// the namespace controller finishes deleting it.
func TestNamespaceDeletion(t *testing.T) {
	c := cluster.Shared(t)
	client, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	ns := c.Namespace(t)
	if _, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("getting the test namespace: %v", err)
	}
	if err := client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = utilwait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("namespace %s still exists after a minute: the namespace controller did not finalize it", ns)
	}
}
