package workloads

// ChaosProcess sends a signal to a random non-essential process at a set
// interval, to show how the guest's services cope with losing a process.
type ChaosProcess struct{}

// chaosSignals are the signals chaos-process may send, by the names that
// kill -s takes (a test checks each against kill -l).
var chaosSignals = []string{"TERM", "KILL", "HUP", "INT", "QUIT", "ABRT", "USR1", "USR2", "STOP", "CONT"}

// Spec implements Workload.
func (ChaosProcess) Spec() Spec {
	return Spec{
		Name:        "chaos-process",
		Description: "signals one random non-essential process at a set interval (never init, sshd, the guest agent, cloud-init, journald, udevd or dbus)",
		Roles:       []Role{{Name: "worker", Unit: "virtwork-chaos-process.service"}},
		// ps comes from procps-ng, in every Fedora image.
		Packages: []string{"procps-ng"},
		Chaos:    true,
		Params: []ParamSpec{
			{Name: "interval", Type: Int, Min: 1, Max: 86400, Default: "60", Env: "VIRTWORK_CHAOS_INTERVAL",
				Description: "seconds between signals"},
			{Name: "signal", Type: Enum, Allowed: chaosSignals, Default: "TERM", Env: "VIRTWORK_CHAOS_SIGNAL",
				Description: "signal sent to the chosen process"},
		},
	}
}

// CloudConfig implements Workload.
func (w ChaosProcess) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	return assemble(s.Name, s.Packages, paramEnv(s, in.Params), "virtwork-chaos-process.service",
		script("chaos-process/virtwork-chaos-process.sh"), unit("chaos-process/virtwork-chaos-process.service"))
}
