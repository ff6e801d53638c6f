package retry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

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
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestRetryHonoursRetryAfter: a 429 that asks for a pause gets it, even
// when the backoff's own delay is shorter.
func TestRetryHonoursRetryAfter(t *testing.T) {
	calls := 0
	start := time.Now()
	err := Do(context.Background(), Backoff{Attempts: 2, Initial: time.Millisecond, Max: time.Millisecond}, func() error {
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
