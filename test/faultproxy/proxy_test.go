package faultproxy_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/virtwork/kubectl-virtwork/test/cluster"
	"github.com/virtwork/kubectl-virtwork/test/faultproxy"
)

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// TestRequestParsing: verbs and resources are named as the API server's
// authorizer names them, and only requests that can store something are
// writes.
func TestRequestParsing(t *testing.T) {
	tests := []struct {
		method, url string
		want        faultproxy.Request
		write       bool
	}{
		{"GET", "/api", faultproxy.Request{Verb: "discovery"}, false},
		{"GET", "/apis/kubevirt.io/v1", faultproxy.Request{Verb: "discovery", Group: "kubevirt.io"}, false},
		{"GET", "/api/v1/namespaces/ns", faultproxy.Request{Verb: "get", Resource: "namespaces", Namespace: "ns", Name: "ns"}, false},
		{"POST", "/api/v1/namespaces", faultproxy.Request{Verb: "create", Resource: "namespaces"}, true},
		{"GET", "/api/v1/namespaces/ns/secrets?labelSelector=a", faultproxy.Request{Verb: "list", Resource: "secrets", Namespace: "ns"}, false},
		{"PATCH", "/apis/kubevirt.io/v1/namespaces/ns/virtualmachines/vm?fieldManager=x", faultproxy.Request{Verb: "patch", Group: "kubevirt.io", Resource: "virtualmachines", Namespace: "ns", Name: "vm"}, true},
		{"PATCH", "/api/v1/namespaces/ns/secrets/s?dryRun=All", faultproxy.Request{Verb: "patch", Resource: "secrets", Namespace: "ns", Name: "s", DryRun: true}, false},
		{"GET", "/apis/kubevirt.io/v1/virtualmachineinstances?watch=true", faultproxy.Request{Verb: "watch", Group: "kubevirt.io", Resource: "virtualmachineinstances"}, false},
		{"DELETE", "/api/v1/namespaces/ns/services", faultproxy.Request{Verb: "deletecollection", Resource: "services", Namespace: "ns"}, true},
		{"DELETE", "/api/v1/namespaces/ns", faultproxy.Request{Verb: "delete", Resource: "namespaces", Namespace: "ns", Name: "ns"}, true},
		{"POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", faultproxy.Request{Verb: "create", Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}, false},
	}
	for _, tt := range tests {
		got := faultproxy.Parse(httptest.NewRequest(tt.method, tt.url, nil))
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(faultproxy.Request{}, "N", "Method", "Path")); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.method, tt.url, diff)
		}
		if got.Write() != tt.write {
			t.Errorf("%s %s: Write() = %v, want %v", tt.method, tt.url, got.Write(), tt.write)
		}
	}
}

// TestProxyAgainstTheAPIServer: requests pass and are counted, faults are
// seen by client-go as the API server's own answers, and Stop refuses new
// connections.
func TestProxyAgainstTheAPIServer(t *testing.T) {
	c := cluster.Shared(t)
	p, err := faultproxy.New(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	cfg := p.Config()
	cfg.Timeout = 10 * time.Second
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx := t.Context()

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "faultproxy-"}}
	ns, err = client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kubernetes.NewForConfigOrDie(c.Config()).CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	if _, err := client.CoreV1().Secrets(ns.Name).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if p.Writes() != 1 || p.Reads() != 1 {
		t.Errorf("writes %d, reads %d; want 1 and 1", p.Writes(), p.Reads())
	}

	p.SetFault(faultproxy.ServerErrors(1, 1))
	_, err = client.CoreV1().Secrets(ns.Name).List(ctx, metav1.ListOptions{})
	if !apierrors.IsInternalError(err) && !apierrors.IsServiceUnavailable(err) {
		t.Errorf("under ServerErrors: %v", err)
	}
	p.SetFault(func(faultproxy.Request) faultproxy.Action { return faultproxy.Action{ResetAfter: true} })
	_, err = client.CoreV1().Secrets(ns.Name).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "after"}}, metav1.CreateOptions{})
	if err == nil {
		t.Error("a reset create succeeded")
	}
	p.SetFault(nil)
	if _, err := client.CoreV1().Secrets(ns.Name).Get(ctx, "after", metav1.GetOptions{}); err != nil {
		t.Errorf("a reset after the server acted, but the secret is not there: %v", err)
	}

	p.Stop()
	_, err = client.CoreV1().Secrets(ns.Name).List(ctx, metav1.ListOptions{})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after Stop: %v, want connection refused", err)
	}
}
