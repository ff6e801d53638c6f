package verify

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/config"
	"k8s.io/client-go/rest"
)

// Endpoint says how to reach a Prometheus-compatible query API.
type Endpoint struct {
	// URL of the API (its /api/v1 is appended), or "" with Service.
	URL string
	// Service is NAMESPACE/NAME:PORT, reached through the API server's
	// service proxy with the kubeconfig's credentials.
	Service string
	// Token is a bearer token; "" uses the kubeconfig's when URL is on the
	// cluster's own domain (OpenShift's thanos-querier route).
	Token              string
	CAFile             string
	InsecureSkipVerify bool
	// Rest is the kubeconfig's client config (for Service and the token).
	Rest *rest.Config
}

var serviceRef = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)/([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9-]+)$`)

// CheckEndpoint checks the flags' values before anything is queried.
func CheckEndpoint(e Endpoint) error {
	switch {
	case e.URL == "" && e.Service == "":
		return fmt.Errorf("give --prometheus URL or --prometheus-service NAMESPACE/NAME:PORT")
	case e.URL != "" && e.Service != "":
		return fmt.Errorf("give --prometheus or --prometheus-service, not both")
	case e.Service != "" && !serviceRef.MatchString(e.Service):
		return fmt.Errorf("--prometheus-service must be NAMESPACE/NAME:PORT such as openshift-monitoring/thanos-querier:web, got %q", e.Service)
	case e.URL != "":
		u, err := url.Parse(e.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--prometheus must be an http or https URL such as https://thanos-querier.example.com, got %q", e.URL)
		}
	}
	return nil
}

// NewAPI returns the Prometheus API client for the endpoint.
func NewAPI(e Endpoint) (promv1.API, error) {
	if e.Service != "" {
		return serviceAPI(e)
	}
	tlsConf := &tls.Config{InsecureSkipVerify: e.InsecureSkipVerify} //nolint:gosec // the user's --insecure-skip-tls-verify
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--certificate-authority: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--certificate-authority %s holds no PEM certificate", e.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	var rt http.RoundTripper = &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConf}
	token := e.Token
	if token == "" && e.Rest != nil && sameCluster(e.URL, e.Rest.Host) {
		token = e.Rest.BearerToken
	}
	if token != "" {
		rt = config.NewAuthorizationCredentialsRoundTripper("Bearer", config.NewInlineSecret(token), rt)
	}
	c, err := api.NewClient(api.Config{Address: e.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("--prometheus %s: %w", e.URL, err)
	}
	return promv1.NewAPI(c), nil
}

// serviceAPI reaches a Service through the API server's proxy.
func serviceAPI(e Endpoint) (promv1.API, error) {
	if e.Rest == nil {
		return nil, fmt.Errorf("--prometheus-service needs a kubeconfig")
	}
	m := serviceRef.FindStringSubmatch(e.Service)
	rt, err := rest.TransportFor(e.Rest)
	if err != nil {
		return nil, fmt.Errorf("--prometheus-service: %w", err)
	}
	addr := strings.TrimSuffix(e.Rest.Host, "/") + "/api/v1/namespaces/" + m[1] + "/services/" + m[3] + ":" + m[5] + "/proxy"
	c, err := api.NewClient(api.Config{Address: addr, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("--prometheus-service %s: %w", e.Service, err)
	}
	return promv1.NewAPI(c), nil
}

// sameCluster reports whether a URL is on the API server's domain: the
// API server's host without its first label (api.c.example.com gives
// c.example.com) ends the URL's host, as OpenShift's routes do.
func sameCluster(rawURL, apiHost string) bool {
	u, err := url.Parse(rawURL)
	a, err2 := url.Parse(apiHost)
	if err != nil || err2 != nil {
		return false
	}
	_, domain, ok := strings.Cut(a.Hostname(), ".")
	return ok && strings.Contains(domain, ".") && strings.HasSuffix(u.Hostname(), "."+domain)
}
