package faultproxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Request is what the proxy saw of one request, with the Kubernetes verb and
// resource worked out from the path as the API server does.
type Request struct {
	// N numbers the requests from 1 in the order they arrived.
	N      int64
	Method string
	Path   string
	// Verb is the Kubernetes verb: get, list, watch, create, update,
	// patch, delete or deletecollection; "discovery" for /api and /apis
	// paths without a resource; "" for other non-resource paths.
	Verb      string
	Group     string // "" for the core group
	Resource  string // for example "virtualmachines"
	Namespace string
	Name      string
	// DryRun: the request asked for a server-side dry run.
	DryRun bool
}

// Write reports whether the request can change what the cluster stores: a
// POST, PUT, PATCH or DELETE that is not a dry run and not an access review
// (SelfSubjectAccessReviews and the like are POSTs that store nothing).
func (r Request) Write() bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return false
	}
	if r.DryRun {
		return false
	}
	review := (r.Group == "authorization.k8s.io" || r.Group == "authentication.k8s.io") && strings.HasSuffix(r.Resource, "reviews")
	return !review
}

// String is "VERB resource.group ns/name" for failure messages.
func (r Request) String() string {
	res := r.Resource
	if r.Group != "" {
		res += "." + r.Group
	}
	return fmt.Sprintf("#%d %s %s %s/%s (%s %s)", r.N, r.Verb, res, r.Namespace, r.Name, r.Method, r.Path)
}

// Action is what the proxy does with one request. The zero Action
// forwards it untouched.
type Action struct {
	// Delay holds the request this long before anything else.
	Delay time.Duration
	// Status answers with this HTTP status and a Kubernetes Status body
	// instead of forwarding.
	Status int
	// RetryAfter, with Status, sets the Retry-After header (whole seconds,
	// rounded up) and the Status's retryAfterSeconds.
	RetryAfter time.Duration
	// ResetBefore closes the connection without forwarding: the server
	// never sees the request.
	ResetBefore bool
	// ResetAfter forwards the request, then closes the connection instead
	// of answering: the server acted, the client does not know.
	ResetAfter bool
}

// Fault decides the Action for each request. It runs on the request's
// goroutine before the request is forwarded, so it may also act at that
// exact point (stop a process, record something) and return the zero
// Action.
type Fault func(Request) Action

// Throttle answers every nth request with 429 Too Many Requests and
// Retry-After.
func Throttle(every int, retryAfter time.Duration) Fault {
	return func(r Request) Action {
		if r.N%int64(every) == 0 {
			return Action{Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
		}
		return Action{}
	}
}

// ServerErrors answers bursts of burst consecutive requests out of every
// `every` with 500 and 503 (alternately), without Retry-After, as an API
// server whose etcd stalls does.
func ServerErrors(every, burst int) Fault {
	return func(r Request) Action {
		if r.N%int64(every) >= int64(burst) {
			return Action{}
		}
		if r.N%2 == 0 {
			return Action{Status: http.StatusInternalServerError}
		}
		return Action{Status: http.StatusServiceUnavailable}
	}
}

// Resets breaks the connection of every nth request, alternately before
// the server sees it and after the server acted on it.
func Resets(every int) Fault {
	return func(r Request) Action {
		if r.N%int64(every) != 0 {
			return Action{}
		}
		if (r.N/int64(every))%2 == 0 {
			return Action{ResetAfter: true}
		}
		return Action{ResetBefore: true}
	}
}

// Latency holds every request for d.
func Latency(d time.Duration) Fault {
	return func(Request) Action { return Action{Delay: d} }
}

// Proxy is a running fault proxy. Stop it exactly once (New registers
// nothing with the test; callers usually defer Stop).
type Proxy struct {
	srv      *http.Server
	ln       net.Listener
	upstream *url.URL
	rp       *httputil.ReverseProxy

	seq    atomic.Int64
	reads  atomic.Int64
	writes atomic.Int64

	mu    sync.Mutex
	fault Fault
	log   []Request
}

// errReset marks a response the proxy drops to play a reset.
var errReset = errors.New("faultproxy: connection reset on purpose")

// New starts a proxy on 127.0.0.1 that forwards to the API server of
// upstream with upstream's credentials.
func New(upstream *rest.Config) (*Proxy, error) {
	target, err := url.Parse(upstream.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing upstream host %q: %w", upstream.Host, err)
	}
	transport, err := rest.TransportFor(upstream)
	if err != nil {
		return nil, fmt.Errorf("building the upstream transport: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	p := &Proxy{ln: ln, upstream: target}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		Transport:     transport,
		FlushInterval: -1, // watch events pass as they come
		ErrorLog:      log.New(io.Discard, "", 0),
		ModifyResponse: func(resp *http.Response) error {
			if a, ok := resp.Request.Context().Value(actionKey{}).(Action); ok && a.ResetAfter {
				return errReset
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, errReset) {
				reset(w)
				return
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ErrorLog: log.New(io.Discard, "", 0), ReadHeaderTimeout: time.Minute}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

type actionKey struct{}

// URL is the proxy's address, http://127.0.0.1:PORT.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Config is a client configuration that talks to the API server through
// the proxy (no credentials of its own: the proxy adds the admin's).
func (p *Proxy) Config() *rest.Config {
	return &rest.Config{Host: p.URL(), QPS: 1000, Burst: 2000}
}

// WriteKubeconfig writes a kubeconfig for the proxy to path, with namespace
// as the context's namespace.
func (p *Proxy) WriteKubeconfig(path, namespace string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["faultproxy"] = &clientcmdapi.Cluster{Server: p.URL()}
	cfg.AuthInfos["faultproxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["faultproxy"] = &clientcmdapi.Context{Cluster: "faultproxy", AuthInfo: "faultproxy", Namespace: namespace}
	cfg.CurrentContext = "faultproxy"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// SetFault replaces the fault played from the next request on; nil
// forwards everything.
func (p *Proxy) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// Reads counts the requests that arrived and are not Writes, including
// the ones a fault answered.
func (p *Proxy) Reads() int64 { return p.reads.Load() }

// Writes counts the requests that arrived and could change what the
// cluster stores (see Request.Write), including the ones a fault answered.
func (p *Proxy) Writes() int64 { return p.writes.Load() }

// Count returns how many requests so far match.
func (p *Proxy) Count(match func(Request) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.log {
		if match(r) {
			n++
		}
	}
	return n
}

// Requests returns every request so far, in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Stop plays the server gone for good: the listener closes and every open
// connection is cut, so new connections are refused. It is safe to call
// more than once.
func (p *Proxy) Stop() {
	_ = p.srv.Close()
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	req := parse(r)
	req.N = p.seq.Add(1)
	if req.Write() {
		p.writes.Add(1)
	} else {
		p.reads.Add(1)
	}
	p.mu.Lock()
	p.log = append(p.log, req)
	fault := p.fault
	p.mu.Unlock()

	var a Action
	if fault != nil {
		a = fault(req)
	}
	if a.Delay > 0 {
		t := time.NewTimer(a.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	switch {
	case a.ResetBefore:
		reset(w)
	case a.Status != 0:
		writeStatus(w, a)
	default:
		p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actionKey{}, a)))
	}
}

// reset closes the client's connection without an answer.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a RST, not a polite FIN
	}
	_ = conn.Close()
}

// writeStatus answers as the API server would: a metav1.Status body.
func writeStatus(w http.ResponseWriter, a Action) {
	reason := map[int]string{
		http.StatusTooManyRequests:     "TooManyRequests",
		http.StatusInternalServerError: "InternalError",
		http.StatusServiceUnavailable:  "ServiceUnavailable",
		http.StatusGatewayTimeout:      "Timeout", // the API server's own request timeout
	}[a.Status]
	status := map[string]any{
		"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": a.Status, "reason": reason,
		"message": fmt.Sprintf("faultproxy: %d %s", a.Status, http.StatusText(a.Status)),
	}
	if a.RetryAfter > 0 {
		secs := int(math.Ceil(a.RetryAfter.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		status["details"] = map[string]any{"retryAfterSeconds": secs}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	_ = json.NewEncoder(w).Encode(status)
}

// parse works out the Kubernetes verb and resource of r the way the API
// server's request-info resolver does.
func parse(r *http.Request) Request {
	req := Request{Method: r.Method, Path: r.URL.Path}
	q := r.URL.Query()
	req.DryRun = q.Get("dryRun") == "All"
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 1 && parts[0] == "api":
		parts = parts[1:] // version next
		if len(parts) == 0 {
			req.Verb = "discovery"
			return req
		}
		parts = parts[1:]
	case len(parts) >= 1 && parts[0] == "apis":
		if len(parts) < 3 {
			req.Verb = "discovery"
			return req
		}
		req.Group, parts = parts[1], parts[3:]
	default:
		return req // /healthz, /openapi, ...
	}
	if len(parts) == 0 {
		req.Verb = "discovery"
		return req
	}
	if parts[0] == "namespaces" && len(parts) >= 2 {
		req.Namespace = parts[1]
		if len(parts) >= 3 {
			parts = parts[2:]
		}
	}
	req.Resource = parts[0]
	if len(parts) >= 2 {
		req.Name = parts[1]
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case q.Get("watch") == "true" || q.Get("watch") == "1":
			req.Verb = "watch"
		case req.Name == "":
			req.Verb = "list"
		default:
			req.Verb = "get"
		}
	case http.MethodPost:
		req.Verb = "create"
	case http.MethodPut:
		req.Verb = "update"
	case http.MethodPatch:
		req.Verb = "patch"
	case http.MethodDelete:
		req.Verb = "delete"
		if req.Name == "" {
			req.Verb = "deletecollection"
		}
	}
	return req
}
