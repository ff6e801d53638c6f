package workloads

// CPU keeps every vCPU busy with stress-ng.
type CPU struct{}

// Spec implements Workload.
func (CPU) Spec() Spec {
	return Spec{
		Name:        "cpu",
		Description: "stress-ng CPU workers on every vCPU at a set load",
		Roles:       []Role{{Name: "worker", Unit: "virtwork-cpu.service"}},
		Packages:    []string{"stress-ng"},
		Params: []ParamSpec{
			{Name: "load-percent", Type: Int, Min: 1, Max: 100, Default: "100", Env: "VIRTWORK_CPU_LOAD",
				Description: "load each CPU worker holds, in percent"},
			{Name: "method", Type: Enum, Default: "all", Env: "VIRTWORK_CPU_METHOD",
				Allowed:     []string{"all", "matrixprod", "fft", "int64", "float64", "prime", "sqrt", "crc16", "fibonacci"},
				Description: "stress-ng CPU method"},
		},
	}
}

// CloudConfig implements Workload.
func (w CPU) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	return assemble(s.Name, s.Packages, paramEnv(s, in.Params), "virtwork-cpu.service",
		script("cpu/virtwork-cpu.sh"), unit("cpu/virtwork-cpu.service"))
}
