package apply

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
)

// This unit test pins that apply retries; which errors are retried is
// pkg/retry's, and the behaviour against a real API server is in
// apply_test.go and test/resilience.

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
	a := New(client, mapper, Options{Concurrency: 2, Retry: utilwait.Backoff{Steps: 5, Duration: time.Millisecond, Factor: 2}})
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
