package workloads

import (
	"fmt"
	"strconv"
)

// Network runs iperf3 between server and client VMs, one pair per instance.
type Network struct{}

const iperf3Port = 5201

// Spec implements Workload.
func (Network) Spec() Spec {
	return Spec{
		Name:        "network",
		Description: "iperf3 server and client pairs; each pair talks through its own Service",
		Roles: []Role{
			{Name: "server", Unit: "virtwork-iperf3-server.service"},
			{Name: "client", Unit: "virtwork-iperf3-client.service"},
		},
		Service: &Service{
			Role:        "server",
			ClientRoles: []string{"client"},
			// iperf3 uses TCP for control and, with --udp, UDP for data.
			Ports: []ServicePort{
				{Name: "iperf3", Port: iperf3Port, Protocol: "TCP"},
				{Name: "iperf3-udp", Port: iperf3Port, Protocol: "UDP"},
			},
		},
		Packages: []string{"iperf3"},
		Params: []ParamSpec{
			{Name: "duration", Type: Int, Min: 1, Max: 86400, Default: "60", Env: "VIRTWORK_NETWORK_DURATION",
				Description: "seconds per iperf3 test; tests repeat for ever"},
			{Name: "parallel", Type: Int, Min: 1, Max: 128, Default: "4", Env: "VIRTWORK_NETWORK_PARALLEL",
				Description: "parallel iperf3 streams"},
			{Name: "protocol", Type: Enum, Allowed: []string{"tcp", "udp"}, Default: "tcp", Env: "VIRTWORK_NETWORK_PROTOCOL",
				Description: "transport for the test data"},
			{Name: "bitrate-mbps", Type: Int, Min: 0, Max: 100000, Default: "0", Env: "VIRTWORK_NETWORK_BITRATE_MBPS",
				Description: "target bitrate per stream in Mbit/s; 0 means unlimited"},
		},
	}
}

// CloudConfig implements Workload.
func (w Network) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	port := EnvVar{"VIRTWORK_IPERF3_PORT", strconv.Itoa(iperf3Port)}
	switch in.Role {
	case "server":
		return assemble(s.Name, s.Packages, []EnvVar{port}, "virtwork-iperf3-server.service",
			script("network/virtwork-iperf3-server.sh"), unit("network/virtwork-iperf3-server.service"))
	case "client":
		if in.ServiceHost == "" {
			return CloudConfig{}, fmt.Errorf("workload network: client needs the server's Service host")
		}
		env := append([]EnvVar{{"VIRTWORK_IPERF3_SERVER", in.ServiceHost}, port}, paramEnv(s, in.Params)...)
		return assemble(s.Name, s.Packages, env, "virtwork-iperf3-client.service",
			script("network/virtwork-iperf3-client.sh"), unit("network/virtwork-iperf3-client.service"))
	}
	return CloudConfig{}, fmt.Errorf("workload network: unknown role %q", in.Role)
}
