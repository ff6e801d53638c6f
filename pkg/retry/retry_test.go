package retry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// transport is how a broken connection reaches the caller: a *url.Error
// naming the request's method around the syscall error.
func transport(method string, err error) error {
	return &url.Error{Op: method, URL: "https://api/x", Err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}}
}

func TestRetryable(t *testing.T) {
	gr := schema.GroupResource{Resource: "secrets"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"429 without Retry-After", apierrors.NewTooManyRequests("slow down", 0), true},
		{"429 with Retry-After: client-go's", apierrors.NewTooManyRequests("slow down", 1), false},
		{"500 InternalError", apierrors.NewInternalError(errors.New("etcd hiccup")), true},
		{"500 ServerTimeout", apierrors.NewServerTimeout(gr, "patch", 0), true},
		{"500 ServerTimeout with Retry-After: client-go's", apierrors.NewServerTimeout(gr, "patch", 2), false},
		// What the API server answers an applied object that does not fit
		// its schema: a plain error from its handler, so no reason.
		{"500 without a reason", &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: 500,
			Message: "failed to create typed patch object (x): .spec.cores: expected numeric",
		}}, false},
		{"502", apierrors.NewGenericServerResponse(http.StatusBadGateway, "patch", gr, "x", "", 0, true), true},
		{"503", apierrors.NewServiceUnavailable("restarting"), true},
		{"504", apierrors.NewTimeoutError("slow", 0), true},
		{"504 with Retry-After: client-go's", apierrors.NewTimeoutError("slow", 1), false},
		{"reset on a PATCH", transport("Patch", syscall.ECONNRESET), true},
		{"reset on a POST", transport("Post", syscall.ECONNRESET), true},
		{"reset on a GET: client-go's", transport("Get", syscall.ECONNRESET), false},
		{"EOF on a PATCH", &url.Error{Op: "Patch", URL: "https://api/x", Err: io.EOF}, true},
		{"EOF on a GET: client-go's", &url.Error{Op: "Get", URL: "https://api/x", Err: io.EOF}, false},
		{"refused on a GET", transport("Get", syscall.ECONNREFUSED), true},
		{"timeout on a GET", &url.Error{Op: "Get", URL: "https://api/x", Err: os.ErrDeadlineExceeded}, true},
		{"bad request", apierrors.NewBadRequest("nope"), false},
		{"forbidden", apierrors.NewForbidden(gr, "x", errors.New("rbac")), false},
		{"conflict", apierrors.NewConflict(gr, "x", errors.New("owned")), false},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "x", nil), false},
		{"anything else", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("%s: Retryable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestDo(t *testing.T) {
	fast := utilwait.Backoff{Steps: 4, Duration: time.Millisecond, Factor: 2}
	unavailable := apierrors.NewServiceUnavailable("restarting")
	tests := []struct {
		name      string
		failures  int // fn fails this many times with err, then succeeds
		err       error
		wantCalls int
		wantErr   bool
	}{
		{"succeeds after two failures", 2, unavailable, 3, false},
		{"gives up after the attempts with fn's error", 100, unavailable, 4, true},
		{"fails for good at once", 100, apierrors.NewBadRequest("nope"), 1, true},
	}
	for _, tt := range tests {
		calls := 0
		err := Do(context.Background(), fast, func() error {
			calls++
			if calls <= tt.failures {
				return tt.err
			}
			return nil
		})
		if calls != tt.wantCalls || (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, tt.err)) {
			t.Errorf("%s: %d calls, err %v; want %d calls, error %v", tt.name, calls, err, tt.wantCalls, tt.wantErr)
		}
	}
}

// TestDoStopsWithItsContext: a cancelled context ends the retries, and the
// caller still learns what failed.
func TestDoStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	unavailable := apierrors.NewServiceUnavailable("restarting")
	calls := 0
	err := Do(ctx, utilwait.Backoff{Steps: 8, Duration: time.Hour}, func() error {
		calls++
		cancel()
		return unavailable
	})
	if calls != 1 || !errors.Is(err, unavailable) {
		t.Errorf("%d calls, err %v; want 1 call and fn's error", calls, err)
	}
}

// TestNoRetryAroundClientGo drives client-go's real REST client against a
// server that throttles every request: a 429 with Retry-After costs
// client-go's 11 attempts and no more; one without costs this package's.
func TestNoRetryAroundClientGo(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter bool
		want       int64
	}{
		{"429 with Retry-After", true, 1 + 10},
		{"429 without Retry-After", false, 5},
	}
	for _, tt := range tests {
		var requests atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			status := apierrors.NewTooManyRequests("faked", 0).Status()
			status.Kind, status.APIVersion = "Status", "v1"
			if tt.retryAfter {
				// The API server says the same in the header and the
				// body; the header says 0 here only to keep the test
				// fast, since client-go waits on the header.
				status.Details.RetryAfterSeconds = 1
				w.Header().Set("Retry-After", "0")
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_ = json.NewEncoder(w).Encode(status)
		}))
		client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, QPS: -1})
		if err != nil {
			t.Fatal(err)
		}
		err = Do(t.Context(), utilwait.Backoff{Steps: 5, Duration: time.Millisecond, Factor: 2}, func() error {
			_, err := client.CoreV1().Secrets("ns").Patch(t.Context(), "s", types.ApplyPatchType, []byte(`{}`), metav1.PatchOptions{FieldManager: "test"})
			return err
		})
		srv.Close()
		t.Logf("%s: %d requests for one object", tt.name, requests.Load())
		if !apierrors.IsTooManyRequests(err) || requests.Load() != tt.want {
			t.Errorf("%s: %d requests, err %v; want %d requests and the 429", tt.name, requests.Load(), err, tt.want)
		}
	}
}
