package retry

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
)

// DefaultBackoff rides out several seconds of API server trouble: 8
// attempts, 200ms apart at first, each wait 1.8 times the last, with 10%
// jitter: about 15s from the first attempt to the last, as before. (A Cap
// would end utilwait's backoff early instead of holding the wait.)
func DefaultBackoff() utilwait.Backoff {
	return utilwait.Backoff{Duration: 200 * time.Millisecond, Factor: 1.8, Jitter: 0.1, Steps: 8}
}

// Do runs fn until it succeeds, fails with an error Retryable refuses, or b
// or ctx runs out, and returns fn's last error. b.Steps counts the
// attempts; a b without steps is DefaultBackoff. Pass only requests that
// are safe to repeat. It is client-go's retry.OnError with a context:
// OnError sleeps through a cancelled one, which would hold an apply past
// its --timeout or a SIGINT.
func Do(ctx context.Context, b utilwait.Backoff, fn func() error) error {
	if b.Steps < 1 {
		b = DefaultBackoff()
	}
	var last error
	err := utilwait.ExponentialBackoffWithContext(ctx, b, func(context.Context) (bool, error) {
		last = fn()
		switch {
		case last == nil:
			return true, nil
		case Retryable(last):
			return false, nil
		default:
			return false, last
		}
	})
	if err != nil && last != nil {
		return last // out of attempts or ctx ended: say what went wrong
	}
	return err
}

// Retryable reports errors that a repeat of the same request may not meet
// and that client-go has not retried already: throttling and transient
// server errors without Retry-After, timeouts, refused connections, and
// broken connections of requests other than GETs.
func Retryable(err error) bool {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return retryableStatus(status.Status())
	}
	if brokenConnection(err) {
		var uerr *url.Error
		return !errors.As(err, &uerr) || uerr.Op != "Get" // client-go retried a GET
	}
	return utilnet.IsConnectionRefused(err) || utilnet.IsTimeout(err)
}

// retryableStatus classifies an API server's answer.
func retryableStatus(s metav1.Status) bool {
	if s.Details != nil && s.Details.RetryAfterSeconds > 0 {
		// The API server sends the same figure as the Retry-After
		// header, which client-go has honoured, up to its 10 retries.
		return false
	}
	switch s.Code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusInternalServerError:
		// The server says what failed when it knows. A 500 without a
		// reason is an error its handler did not expect, such as an
		// applied object that does not fit its schema: a repeat meets it
		// again.
		switch s.Reason {
		case metav1.StatusReasonInternalError, metav1.StatusReasonServerTimeout, metav1.StatusReasonTimeout:
			return true
		}
	}
	return false
}

// brokenConnection is client-go's own test (rest.Request.request) for a
// connection that broke, which it retries on GETs only.
func brokenConnection(err error) bool {
	return utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err)
}
