package workloads

import (
	"fmt"
	"strconv"
)

// TPS measures request/response rate and bulk HTTP throughput between
// server and client VMs, one pair per instance: netperf TCP_RR for
// transactions per second and timed curl downloads of a file of known size.
type TPS struct{}

// Ports of the tps server. netperf's data connection is pinned to
// tpsNetperfDataPort (netperf -- -P), because by default it uses an
// ephemeral port that no Service could carry.
const (
	tpsNetperfPort     = 12865
	tpsNetperfDataPort = 12866
	tpsHTTPPort        = 8080
)

// tpsDataDir is where the server keeps the file it serves; it lives on the
// root disk, which is why file-size is capped well below the root disk size.
const tpsDataDir = "/var/lib/virtwork/tps"

// Spec implements Workload.
func (TPS) Spec() Spec {
	return Spec{
		Name:        "tps",
		Description: "netperf TCP_RR transactions/s and timed HTTP downloads between server and client pairs",
		Roles: []Role{
			{Name: "server", Unit: "virtwork-tps-http.service"},
			{Name: "client", Unit: "virtwork-tps-client.service"},
		},
		Service: &Service{
			Role:        "server",
			ClientRoles: []string{"client"},
			Ports: []ServicePort{
				{Name: "netperf", Port: tpsNetperfPort, Protocol: "TCP"},
				{Name: "netperf-data", Port: tpsNetperfDataPort, Protocol: "TCP"},
				{Name: "http", Port: tpsHTTPPort, Protocol: "TCP"},
			},
		},
		// python3 serves HTTP (python3 -m http.server; Fedora Cloud ships it).
		Packages: []string{"netperf", "curl", "python3"},
		Params: []ParamSpec{
			{Name: "duration", Type: Int, Min: 1, Max: 3600, Default: "30", Env: "VIRTWORK_TPS_DURATION",
				Description: "seconds per netperf TCP_RR run; runs and downloads alternate for ever"},
			{Name: "request-size", Type: Size, Min: 1, Max: 64 << 10, Default: "1", Env: "VIRTWORK_TPS_REQUEST_SIZE",
				Description: "bytes per TCP_RR request"},
			{Name: "response-size", Type: Size, Min: 1, Max: 64 << 10, Default: "1", Env: "VIRTWORK_TPS_RESPONSE_SIZE",
				Description: "bytes per TCP_RR response"},
			{Name: "file-size", Type: Size, Min: 1 << 10, Max: 1 << 30, Default: "64M", Env: "VIRTWORK_TPS_FILE_SIZE",
				Description: "size of the file the server generates and each client download fetches"},
			{Name: "downloads", Type: Int, Min: 1, Max: 1000, Default: "3", Env: "VIRTWORK_TPS_DOWNLOADS",
				Description: "HTTP downloads after each TCP_RR run"},
		},
	}
}

// CloudConfig implements Workload.
func (w TPS) CloudConfig(in Instance) (CloudConfig, error) {
	s := w.Spec()
	ports := []EnvVar{
		{"VIRTWORK_TPS_NETPERF_PORT", strconv.Itoa(tpsNetperfPort)},
		{"VIRTWORK_TPS_NETPERF_DATA_PORT", strconv.Itoa(tpsNetperfDataPort)},
		{"VIRTWORK_TPS_HTTP_PORT", strconv.Itoa(tpsHTTPPort)},
	}
	switch in.Role {
	case "server":
		// The server needs only the file size: the same canonical byte
		// count the client checks each download against.
		env := append(ports, EnvVar{"VIRTWORK_TPS_FILE_SIZE", in.Params["file-size"]}, EnvVar{"VIRTWORK_TPS_DATA_DIR", tpsDataDir})
		cc, err := assemble(s.Name, s.Packages, env, "virtwork-tps-http.service",
			script("tps/virtwork-tps-http-server.sh"), unit("tps/virtwork-tps-http.service"),
			script("tps/virtwork-tps-netserver.sh"), unit("tps/virtwork-tps-netserver.service"))
		if err != nil {
			return CloudConfig{}, err
		}
		// netserver and the HTTP server are separate units so that each is
		// restarted on its own; assemble starts one, this starts the other.
		cc.RunCmd = append(cc.RunCmd[:len(cc.RunCmd):len(cc.RunCmd)],
			[]string{"systemctl", "enable", "--now", "--no-block", "virtwork-tps-netserver.service"})
		return cc, nil
	case "client":
		if in.ServiceHost == "" {
			return CloudConfig{}, fmt.Errorf("workload tps: client needs the server's Service host")
		}
		env := append(append([]EnvVar{{"VIRTWORK_TPS_SERVER", in.ServiceHost}}, ports...), paramEnv(s, in.Params)...)
		return assemble(s.Name, s.Packages, env, "virtwork-tps-client.service",
			script("tps/virtwork-tps-client.sh"), unit("tps/virtwork-tps-client.service"))
	}
	return CloudConfig{}, fmt.Errorf("workload tps: unknown role %q", in.Role)
}
