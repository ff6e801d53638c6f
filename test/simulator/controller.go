package simulator

import (
	"net"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/test/prom"
)

// infoCollector is virt-controller's kubevirt_vmi_info: one series of
// value 1 per VMI in any phase, with node, namespace, name, phase (lower
// case) and, when known, os, workload and flavor (the vm.kubevirt.io/
// annotations) and the guest OS the agent reported, then evictable and
// outdated. Like KubeVirt it leaves out labels with no value.
type infoCollector struct{ vmis cache.Store }

func (infoCollector) Describe(chan<- *prometheus.Desc) {}

func (c infoCollector) Collect(ch chan<- prometheus.Metric) {
	for _, obj := range c.vmis.List() {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		vmi := &kubevirtv1.VirtualMachineInstance{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vmi); err != nil {
			continue
		}
		os := vmi.Status.GuestOSInfo
		_, outdated := vmi.Labels[kubevirtv1.OutdatedLauncherImageLabel]
		pairs := [][2]string{
			{"node", vmi.Status.NodeName}, {"namespace", vmi.Namespace}, {"name", vmi.Name},
			{"phase", strings.ToLower(string(vmi.Status.Phase))},
			{"os", vmi.Annotations["vm.kubevirt.io/os"]}, {"workload", vmi.Annotations["vm.kubevirt.io/workload"]},
			{"flavor", vmi.Annotations["vm.kubevirt.io/flavor"]},
			{"guest_os_kernel_release", os.KernelRelease}, {"guest_os_arch", os.Machine},
			{"guest_os_name", os.Name}, {"guest_os_version_id", os.VersionID},
			{"evictable", "true"}, {"outdated", strconv.FormatBool(outdated)},
		}
		var names, values []string
		for _, p := range pairs {
			if p[1] != "" {
				names, values = append(names, p[0]), append(values, p[1])
			}
		}
		desc := prometheus.NewDesc("kubevirt_vmi_info", "Information about VirtualMachineInstances.", names, nil)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, 1, values...)
	}
}

// ScrapeJobs are the scrape configs for a Prometheus to scrape the
// metrics a simulator with opts serves on addr (its MetricsListener's
// address): job kubevirt-handler with one target per node, labelled
// node=<node> so up says which node's virt-handler is down, and job
// kubevirt-controller. Both honor the scraped labels, as KubeVirt's
// ServiceMonitor does.
func ScrapeJobs(addr net.Addr, opts Options) []prom.Job {
	base := "http://" + addr.String()
	handler := prom.Job{Name: "kubevirt-handler", HonorLabels: true}
	for _, node := range opts.NodeNames() {
		handler.Targets = append(handler.Targets, prom.Target{URL: base + NodeMetricsPath(node), Labels: map[string]string{"node": node}})
	}
	controller := prom.Job{Name: "kubevirt-controller", HonorLabels: true, Targets: []prom.Target{{URL: base + ControllerMetricsPath}}}
	return []prom.Job{handler, controller}
}
