package verify

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// recorder stands in for an API server or a Prometheus: it records each
// request's path and Authorization header and answers an empty list of
// label values, which is all the client needs to parse.
type recorder struct {
	mu    sync.Mutex
	paths []string
	auth  []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"success","data":[]}`))
}

func askNames(t *testing.T, e Endpoint) {
	t.Helper()
	api, err := NewAPI(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := api.LabelValues(t.Context(), "__name__", nil, time.Now().Add(-time.Hour), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestServiceProxy: --prometheus-service goes through the API server's
// service proxy with the kubeconfig's credentials.
func TestServiceProxy(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	askNames(t, Endpoint{Service: "openshift-monitoring/thanos-querier:web", Rest: &rest.Config{Host: srv.URL, BearerToken: "kube-token"}})
	if len(rec.paths) != 1 || rec.paths[0] != "/api/v1/namespaces/openshift-monitoring/services/thanos-querier:web/proxy/api/v1/label/__name__/values" || rec.auth[0] != "Bearer kube-token" {
		t.Errorf("requests %v, auth %v", rec.paths, rec.auth)
	}
}

// TestToken: --token wins; without it the kubeconfig's token goes only to
// a URL on the cluster's own domain (an OpenShift route), never elsewhere.
func TestToken(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	kube := &rest.Config{Host: "https://api.c1.example.com:6443", BearerToken: "kube-token"}
	askNames(t, Endpoint{URL: srv.URL, Token: "given", Rest: kube})
	askNames(t, Endpoint{URL: srv.URL, Rest: kube})
	if strings.Join(rec.auth, "|") != "Bearer given|" {
		t.Errorf("Authorization headers %q: want the given token, then none for a URL off the cluster's domain", rec.auth)
	}
	for url, want := range map[string]bool{
		"https://thanos-querier-openshift-monitoring.apps.c1.example.com": true,
		"https://prometheus.c1.example.com:9091":                          true,
		"https://thanos.c2.example.com":                                   false,
		"https://evil.com/?x=c1.example.com":                              false,
		"http://127.0.0.1:9090":                                           false,
	} {
		if got := sameCluster(url, kube.Host); got != want {
			t.Errorf("sameCluster(%s) = %v, want %v", url, got, want)
		}
	}
	if sameCluster("https://a.b.example.com", "https://localhost:6443") {
		t.Error("an API server without a domain shares none")
	}
}

func TestCheckEndpoint(t *testing.T) {
	for e, want := range map[Endpoint]string{
		{}:                                      "give --prometheus URL or --prometheus-service",
		{URL: "http://a", Service: "a/b:c"}:     "not both",
		{Service: "monitoring/prometheus"}:      "--prometheus-service must be NAMESPACE/NAME:PORT",
		{Service: "Mon/p:web"}:                  "--prometheus-service must be NAMESPACE/NAME:PORT",
		{URL: "prometheus:9090"}:                "--prometheus must be an http or https URL",
		{URL: "ftp://prometheus"}:               "--prometheus must be an http or https URL",
		{URL: "https://prometheus.example"}:     "",
		{Service: "monitoring/prometheus:9090"}: "",
	} {
		err := CheckEndpoint(e)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%+v: %v, want %q", e, err, want)
		}
	}
}
