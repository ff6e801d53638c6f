package workloads

// ChaosNetwork degrades the VM's network with netem: delay, jitter and loss
// on the default-route interface for as long as its unit is active.
type ChaosNetwork struct{}

// Spec implements Workload.
func (ChaosNetwork) Spec() Spec {
	return Spec{
		Name:        "chaos-network",
		Description: "netem delay, jitter and packet loss on the default-route interface while the unit is active",
		Roles:       []Role{{Name: "worker", Unit: "virtwork-chaos-network.service"}},
		// tc is in iproute-tc on Fedora; the netem module comes from
		// kernel-modules-extra for the running kernel, which the script
		// installs itself when it is missing (see virtwork-chaos-network.sh).
		Packages: []string{"iproute-tc"},
		Chaos:    true,
		Params: []ParamSpec{
			{Name: "delay-ms", Type: Int, Min: 0, Max: 10000, Default: "100", Env: "VIRTWORK_CHAOS_DELAY_MS",
				Description: "delay added to every outgoing packet, in milliseconds"},
			{Name: "jitter-ms", Type: Int, Min: 0, Max: 10000, Default: "0", Env: "VIRTWORK_CHAOS_JITTER_MS",
				Description: "random variation of the delay, in milliseconds; 0 means none"},
			// Whole percent: an Int keeps the value a plain number the
			// script can pass to tc as is.
			{Name: "loss-percent", Type: Int, Min: 0, Max: 100, Default: "1", Env: "VIRTWORK_CHAOS_LOSS_PERCENT",
				Description: "share of outgoing packets dropped, in percent"},
		},
	}
}

// CloudConfig implements Workload.
func (w ChaosNetwork) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	return assemble(s.Name, s.Packages, paramEnv(s, in.Params), "virtwork-chaos-network.service",
		script("chaos-network/virtwork-chaos-network.sh"), unit("chaos-network/virtwork-chaos-network.service"))
}
