package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTenants(t *testing.T) {
	tests := []struct {
		name string
		in   in
		want []string
	}{
		{"one namespace by default", in{}, []string{"virtwork"}},
		{"-n alone", in{ns: "load"}, []string{"load"}},
		{"--namespaces 1 is the namespace", in{ns: "load", args: []string{"--namespaces", "1"}}, []string{"load"}},
		{"the prefix defaults to -n", in{ns: "load", args: []string{"--namespaces", "3", "--vm-count", "3", "--workloads", "cpu"}},
			[]string{"load-0", "load-1", "load-2"}},
		{"the prefix defaults to the default namespace", in{args: []string{"--namespaces", "2", "--workloads", "cpu", "--vm-count", "2"}},
			[]string{"virtwork-0", "virtwork-1"}},
		{"--namespace-prefix", in{ns: "load", args: []string{"--namespaces", "2", "--namespace-prefix", "tenant", "--workloads", "cpu", "--vm-count", "2"}},
			[]string{"tenant-0", "tenant-1"}},
		{"a pair counts as one instance", in{env: map[string]string{"VIRTWORK_NAMESPACES": "2", "VIRTWORK_WORKLOADS": "network", "VIRTWORK_VM_COUNT": "2"}},
			[]string{"virtwork-0", "virtwork-1"}},
		{"config file keys", in{env: map[string]string{"VIRTWORK_CONFIG": "c.yaml"}, files: map[string]string{"c.yaml": "namespaces: 2\nnamespace_prefix: t\nvm_count: 2\nworkloads: {cpu: {enabled: true}}\n"}},
			[]string{"t-0", "t-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.in)
			if diff := cmp.Diff(tt.want, c.Namespaces); diff != "" {
				t.Errorf("namespaces (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTenantsRefused(t *testing.T) {
	long := strings.Repeat("a", 62)
	tests := []struct {
		name string
		in   in
		want string
	}{
		{"zero", in{args: []string{"--namespaces", "0"}}, "--namespaces must be between 1 and 1000"},
		{"too many", in{args: []string{"--namespaces", "1001"}}, "--namespaces must be between 1 and 1000"},
		{"more than the instances", in{args: []string{"--namespaces", "3", "--workloads", "network", "--vm-count", "2"}},
			"--namespaces 3 is more than the run's 2 instances (a server/client pair counts once), which would leave namespaces empty; lower it or raise --vm-count"},
		{"prefix without namespaces", in{args: []string{"--namespace-prefix", "tenant"}},
			"--namespace-prefix names the namespaces of --namespaces above 1; give --namespaces N, or name the one namespace with -n"},
		{"invalid prefix", in{args: []string{"--namespaces", "2", "--namespace-prefix", "Tenant"}}, "--namespace-prefix must be a valid namespace name"},
		{"prefix too long", in{args: []string{"--namespaces", "11", "--vm-count", "11", "--workloads", "cpu", "--namespace-prefix", long}},
			`--namespace-prefix "` + long + `" is too long for 11 namespaces: "` + long + `-10" is over 63 characters; use a prefix of at most 60`},
		{"-n too long for a prefix", in{ns: long, args: []string{"--namespaces", "2", "--vm-count", "2", "--workloads", "cpu"}},
			"use a prefix of at most 61"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.in)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}
