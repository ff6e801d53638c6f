// Package retry repeats Kubernetes API requests that are safe to repeat —
// reads, server-side apply PATCHes, access reviews — for the faults
// client-go leaves to its caller. client-go's REST client already retries
// every 429 and 5xx answer that carries Retry-After, waiting as asked, up
// to 10 times (rest/with_retry.go), and a GET whose connection broke; this
// package covers the rest with utilwait's exponential backoff: 429 and 5xx
// answers without Retry-After, timeouts, refused connections, and broken
// connections of requests other than GETs. It never retries what client-go
// has retried, so one request costs at most client-go's 11 attempts or this
// package's 8, never their product. Errors are classified by their types
// (apierrors' Status, net and syscall errors), and anything else, such as
// a refusal or an invalid object, is returned at once. apply and preflight
// share it, so both ride out the same faults.
package retry
