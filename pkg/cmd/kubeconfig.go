package cmd

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
)

// cluster is what a command that talks to the API server holds. Every such
// command builds it with connect, so each reads the kubeconfig the same
// way and gives the same errors when there is none to read.
type cluster struct {
	client dynamic.Interface
	// metadata lists and deletes by metadata alone (cleanup).
	metadata metadata.Interface
	mapper   meta.RESTMapper
	// kube is the typed client preflight asks with.
	kube kubernetes.Interface
	// server and context are recorded in the audit history.
	server, context string
}

// connect loads the kubeconfig through restConfig and builds the clients;
// concurrency is how many requests the command keeps in flight at most.
func connect(flags *genericclioptions.ConfigFlags, lookupEnv func(string) (string, bool), concurrency int) (*cluster, error) {
	cfg, err := restConfig(flags, lookupEnv)
	if err != nil {
		return nil, err
	}
	c := &cluster{server: cfg.Host}
	if raw, err := flags.ToRawKubeConfigLoader().RawConfig(); err == nil {
		c.context = raw.CurrentContext
	}
	if flags.Context != nil && *flags.Context != "" {
		c.context = *flags.Context
	}
	// A client-side rate limit that does not throttle the worker pool
	// (client-go's default of 5 requests/s with bursts of 10 would).
	dyn := rest.CopyConfig(cfg)
	dyn.QPS = float32(max(50, 40*concurrency))
	dyn.Burst = max(100, 80*concurrency)
	if c.client, err = dynamic.NewForConfig(dyn); err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	if c.metadata, err = metadata.NewForConfig(dyn); err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	if c.mapper, err = flags.ToRESTMapper(); err != nil {
		return nil, fmt.Errorf("discovering the cluster's APIs: %w", err)
	}
	// Room for preflight's concurrent access reviews.
	typed := rest.CopyConfig(cfg)
	typed.QPS, typed.Burst = 100, 200
	if c.kube, err = kubernetes.NewForConfig(typed); err != nil {
		return nil, fmt.Errorf("creating the API client: %w", err)
	}
	return c, nil
}

// hasAPI reports whether the cluster serves gvr (CDI may be missing).
func (c *cluster) hasAPI(gvr schema.GroupVersionResource) bool {
	_, err := c.mapper.KindFor(gvr)
	return err == nil
}

// restConfig loads the kubeconfig the kubectl flags point at, as kubectl
// does, and turns what kubectl only finds out from a refused connection to
// localhost:8080 (no kubeconfig, no current context) into a usage error
// that says what to pass. lookupEnv tells whether the command runs in a pod,
// where the in-cluster config needs no kubeconfig.
func restConfig(flags *genericclioptions.ConfigFlags, lookupEnv func(string) (string, bool)) (*rest.Config, error) {
	given := func(p *string) bool { return p != nil && *p != "" }
	inCluster := false
	if lookupEnv != nil {
		_, inCluster = lookupEnv("KUBERNETES_SERVICE_HOST")
	}
	raw, err := flags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, usageError{fmt.Errorf("loading kubeconfig: %w", err)}
	}
	if !given(flags.APIServer) && !inCluster {
		switch {
		case len(raw.Clusters) == 0 && len(raw.Contexts) == 0:
			where := "KUBECONFIG or ~/.kube/config"
			if given(flags.KubeConfig) {
				where = *flags.KubeConfig
			}
			return nil, usageError{fmt.Errorf("no cluster to talk to: %s names none; pass --kubeconfig FILE or --server URL", where)}
		case raw.CurrentContext == "" && !given(flags.Context):
			var names []string
			for name := range raw.Contexts {
				names = append(names, name)
			}
			slices.Sort(names)
			return nil, usageError{fmt.Errorf("the kubeconfig sets no current-context; pass --context NAME (contexts: %s)", strings.Join(names, ", "))}
		}
	}
	cfg, err := flags.ToRESTConfig()
	if err != nil {
		return nil, usageError{fmt.Errorf("loading kubeconfig: %w", err)}
	}
	if _, err := rest.HTTPClientFor(cfg); err != nil {
		return nil, usageError{fmt.Errorf("the API server address or credentials in the kubeconfig or --server are unusable: %w", err)}
	}
	if _, _, err := rest.DefaultServerUrlFor(cfg); err != nil {
		return nil, usageError{fmt.Errorf("the API server address %q (from --server or the kubeconfig) is not a URL: %w", cfg.Host, err)}
	}
	return cfg, nil
}
