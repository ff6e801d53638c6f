package retry

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Backoff is an exponential backoff between attempts of one request.
type Backoff struct {
	Attempts int           // total attempts, at least 1
	Initial  time.Duration // first delay
	Max      time.Duration // longest delay
}

// DefaultBackoff rides out a few seconds of API server trouble.
func DefaultBackoff() Backoff {
	return Backoff{Attempts: 8, Initial: 200 * time.Millisecond, Max: 5 * time.Second}
}

// Do runs fn until it succeeds, fails for good, or the backoff or ctx runs
// out, and returns fn's last error. Pass only requests that are safe to
// repeat.
func Do(ctx context.Context, b Backoff, fn func() error) error {
	if b.Attempts < 1 {
		b = DefaultBackoff()
	}
	delay := b.Initial
	var err error
	for attempt := 1; ; attempt++ {
		if err = fn(); err == nil || !Retryable(err) || attempt >= b.Attempts {
			return err
		}
		wait := delay
		if s, ok := apierrors.SuggestsClientDelay(err); ok && time.Duration(s)*time.Second > wait {
			wait = time.Duration(s) * time.Second // the server's Retry-After
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(delay*2, b.Max)
	}
}

// Retryable reports errors that a repeat of the same request may not meet:
// throttling, server errors and timeouts, and a connection that broke.
func Retryable(err error) bool {
	// The API server answers 500 when an applied object does not fit the
	// schema; the same object will never fit.
	if strings.Contains(err.Error(), "failed to create typed patch object") {
		return false
	}
	switch {
	case apierrors.IsTooManyRequests(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err):
		return true
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == 500 || code == 502 || code == 503 || code == 504
	}
	if utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
