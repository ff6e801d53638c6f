package workloads

// Memory holds a share of guest memory with stress-ng's VM stressor.
type Memory struct{}

// Spec implements Workload.
func (Memory) Spec() Spec {
	return Spec{
		Name:        "memory",
		Description: "stress-ng VM stressor mapping and touching a share of guest memory",
		Roles:       []Role{{Name: "worker", Unit: "virtwork-memory.service"}},
		Packages:    []string{"stress-ng"},
		Params: []ParamSpec{
			{Name: "percent", Type: Int, Min: 1, Max: 95, Default: "80", Env: "VIRTWORK_MEMORY_PERCENT",
				Description: "share of guest memory to keep mapped and busy, in percent"},
			{Name: "method", Type: Enum, Default: "all", Env: "VIRTWORK_MEMORY_METHOD",
				Allowed:     []string{"all", "flip", "galpat-0", "galpat-1", "inc-nybble", "rand-set", "read64", "ror", "swap", "walk-0d", "walk-1d", "write64", "zero-one"},
				Description: "stress-ng VM method"},
		},
	}
}

// CloudConfig implements Workload.
func (w Memory) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	return assemble(s.Name, s.Packages, paramEnv(s, in.Params), "virtwork-memory.service",
		script("memory/virtwork-memory.sh"), unit("memory/virtwork-memory.service"))
}
