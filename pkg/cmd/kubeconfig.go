package cmd

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
)

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
