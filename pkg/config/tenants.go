package config

import (
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxNamespaces bounds --namespaces: each namespace is a Namespace, a
// Secret per role and a watch filter entry, and a run of more tenants
// than that is a cluster-scale test of its own.
const MaxNamespaces = 1000

// The tenants of a run: --namespaces N spreads its instances round-robin
// over N namespaces named <prefix>-<i>, i from 0 to N-1 unpadded (as
// kube-burner names a job's namespaced iterations), the prefix being
// --namespace-prefix or else the namespace (-n). With N = 1 the run lives
// in the namespace alone, as it always did.
var namespacesRow = &setting[int]{
	meta: meta{flag: "namespaces", typ: "int", groups: runFlags, env: "VIRTWORK_NAMESPACES", file: "namespaces", step: "tenants",
		doc: "spread the instances round-robin over this many namespaces, `<prefix>-0` to `<prefix>-<N-1>` (1-1000; a server/client pair stays in one); 1 uses the namespace itself"},
	def: 1, parse: one(intIn(1, MaxNamespaces)),
}

var namespacePrefixRow = &setting[string]{
	meta: meta{flag: "namespace-prefix", typ: "string", groups: runFlags, env: "VIRTWORK_NAMESPACE_PREFIX", file: "namespace_prefix", step: "tenants",
		doc: "what the namespaces of `--namespaces` above 1 are named after, `<prefix>-<i>`", defDoc: "the namespace (`-n`)"},
	parse: one(parseNamespace),
}

// tenants sets cfg.Namespaces: the namespace alone, or N namespaces named
// after the prefix. It runs once the workloads are known, as N may not
// exceed the run's instances (an empty namespace would test nothing).
func (r *resolver) tenants(cfg *Config) error {
	n, nGiven := pick(r, namespacesRow, "")
	prefix, pGiven := pick(r, namespacePrefixRow, "")
	if !nGiven || n.v == 1 {
		if pGiven {
			return invalidf("%s names the namespaces of --namespaces above 1; give --namespaces N, or name the one namespace with -n", prefix.src)
		}
		cfg.Namespaces = []string{cfg.Namespace}
		return nil
	}
	if !pGiven {
		prefix = given[string]{v: cfg.Namespace, src: "--namespace"}
	}
	suffix := "-" + strconv.Itoa(n.v-1)
	if len(prefix.v)+len(suffix) > validation.DNS1123LabelMaxLength {
		return invalidf("%s %q is too long for %d namespaces: %q is over %d characters; use a prefix of at most %d", prefix.src, prefix.v, n.v,
			prefix.v+suffix, validation.DNS1123LabelMaxLength, validation.DNS1123LabelMaxLength-len(suffix))
	}
	instances := 0
	for _, w := range cfg.Workloads {
		instances += w.VMCount
	}
	if n.v > instances {
		return invalidf("%s %d is more than the run's %d instances (a server/client pair counts once), which would leave namespaces empty; lower it or raise --vm-count", n.src, n.v, instances)
	}
	cfg.Namespaces = NamespaceNames(prefix.v, n.v)
	return nil
}

// NamespaceNames is the naming scheme of a run's namespaces: <prefix>-<i>,
// i from 0 to n-1.
func NamespaceNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + "-" + strconv.Itoa(i)
	}
	return out
}
