package apply

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

// These unit tests pin which errors are retried and how; the behaviour
// against a real API server is in apply_test.go.

func TestRetryable(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	tests := []struct {
		err  error
		want bool
	}{
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewInternalError(errors.New("etcd hiccup")), true},
		{apierrors.NewServiceUnavailable("restarting"), true},
		{apierrors.NewGenericServerResponse(http.StatusBadGateway, "patch", gr, "x", "", 0, true), true},
		{apierrors.NewTimeoutError("slow", 1), true},
		{fmt.Errorf("patch: %w", syscall.ECONNRESET), true},
		{fmt.Errorf("patch: %w", syscall.ECONNREFUSED), true},
		{apierrors.NewInternalError(errors.New("failed to create typed patch object (x): .spec.cores: expected numeric")), false},
		{apierrors.NewBadRequest("nope"), false},
		{apierrors.NewForbidden(gr, "x", errors.New("rbac")), false},
		{apierrors.NewConflict(gr, "x", errors.New("owned")), false},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "x", nil), false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestApplyRetriesUntilItSucceeds(t *testing.T) {
	scheme := runtime.NewScheme()
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{
		{Version: "v1", Resource: "secrets"}: "SecretList",
	})
	calls, failFor := 0, 2
	client.PrependReactor("patch", "secrets", func(action clienttesting.Action) (bool, runtime.Object, error) {
		calls++
		if calls <= failFor {
			if calls%2 == 0 {
				return true, nil, apierrors.NewTooManyRequests("slow down", 0)
			}
			return true, nil, apierrors.NewServiceUnavailable("starting")
		}
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("v1")
		obj.SetKind("Secret")
		obj.SetName("s")
		obj.SetNamespace("ns")
		obj.SetResourceVersion("1")
		return true, obj, nil
	})
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, meta.RESTScopeNamespace)
	a := New(client, mapper, Options{Concurrency: 2, Retry: Backoff{Attempts: 5, Initial: time.Millisecond, Max: 5 * time.Millisecond}})
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "namespace": "ns"},
	}}
	rep, err := a.Apply(context.Background(), func(yield func(*unstructured.Unstructured) bool) { yield(secret) })
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if calls != 3 || rep.Counts()["Secret"][Created] != 1 {
		t.Errorf("calls %d, outcomes %v; want 3 calls and one created Secret", calls, rep.Counts())
	}

	calls, failFor = 0, 1000 // the server never recovers: give up after the attempts
	rep, err = a.Apply(context.Background(), func(yield func(*unstructured.Unstructured) bool) { yield(secret) })
	if err == nil || len(rep.Failures()) != 1 || calls != 5 {
		t.Errorf("err %v, failures %d, calls %d; want a failure after 5 attempts", err, len(rep.Failures()), calls)
	}
}

// TestRetryHonoursRetryAfter: a 429 that asks for a pause gets it, even
// when the backoff's own delay is shorter.
func TestRetryHonoursRetryAfter(t *testing.T) {
	a := New(nil, nil, Options{Retry: Backoff{Attempts: 2, Initial: time.Millisecond, Max: time.Millisecond}})
	calls := 0
	start := time.Now()
	err := a.retry(context.Background(), func() error {
		calls++
		if calls == 1 {
			return apierrors.NewTooManyRequests("slow down", 1)
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("retried after %s; the server asked for 1s", took)
	}
}
