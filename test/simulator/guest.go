package simulator

import (
	"context"
	"encoding/base64"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	kubevirtv1 "kubevirt.io/api/core/v1"

	"github.com/virtwork/kubectl-virtwork/pkg/lint"
	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

var (
	secrets  = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	services = schema.GroupVersionResource{Version: "v1", Resource: "services"}
)

// guest is what the simulator knows of a running VMI's guest: what its spec
// and its user data gave it, and when it booted. The metrics are computed
// from it (guestmodel.go); the counters it has added up so far are in acc.
type guest struct {
	uid             types.UID
	namespace, name string
	node            string
	// pausedUntil ends the last migration's switch-over: no node exports
	// the guest's series before it; base is what its counters held then,
	// taken off what they export after.
	pausedUntil time.Time
	base        *accum
	labels      map[string]string
	fault       MetricsFault
	// boot is when the VMI went Running: a "start boot" schedule starts
	// there, and so do the counters.
	boot   time.Time
	vcpus  int
	memory float64
	// disks are the spec's disk names in order (the drive labels);
	// cloudInit is the one cloud-init reads, data the workload's data disk.
	disks      []string
	cloudInit  string
	data       *dataDisk
	interfaces []string
	workloads  []workloadRun
	acc        accum
}

// dataDisk is a workload's dedicated disk: its drive (the spec's disk
// name), size and where the guest mounts it.
type dataDisk struct {
	drive, mount string
	size         float64
}

// workloadRun is one workload as its guest runs it: the EnvironmentFile
// and the schedule file cloud-init wrote.
type workloadRun struct {
	name  string
	env   map[string]string
	model workloadModel
	// sched is nil without a schedule file: the level param holds.
	sched *profile.FileContent
	// server is the Service a client of a pair sends to, nil otherwise.
	server *serviceRef
}

// serviceRef is a Service's selector, resolved once as the guest's
// resolver would find it through the Service's name.
type serviceRef struct {
	namespace string
	selector  map[string]string
}

// metricsFault reads the VM's metrics fault from its annotation.
func (s *simulator) metricsFault(vm *kubevirtv1.VirtualMachine) MetricsFault {
	f := s.opts.MetricsFaults[vm.Name]
	if v, ok := vm.Annotations[MetricsFaultAnnotation]; ok {
		f = MetricsFault(v)
	}
	if f == MetricsFaultNone || slices.Contains(MetricsFaults(), f) {
		return f
	}
	s.logf("%s/%s: ignoring unknown %s %q (known: %v)", vm.Namespace, vm.Name, MetricsFaultAnnotation, f, MetricsFaults())
	return MetricsFaultNone
}

// observeGuest keeps the metrics' record of the VM's guest: read once
// when its VMI is seen running (a guest reads its user data at first
// boot), dropped when it is not.
func (s *simulator) observeGuest(ctx context.Context, vm, u *unstructured.Unstructured, fault MetricsFault) error {
	if s.metrics == nil {
		return nil
	}
	vmi := &kubevirtv1.VirtualMachineInstance{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vmi); err != nil {
		return fmt.Errorf("decoding VirtualMachineInstance %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	switch {
	case vmi.Status.Phase != kubevirtv1.Running:
		s.metrics.drop(vmi.UID)
	case s.metrics.has(vmi.UID):
		s.metrics.setFault(vmi.UID, fault)
	default:
		g, err := s.readGuest(ctx, vm, vmi)
		if err != nil {
			return err
		}
		g.fault = fault
		s.metrics.put(g)
		names := make([]string, len(g.workloads))
		for i, w := range g.workloads {
			names[i] = w.name
		}
		s.logf("VirtualMachineInstance %s/%s: guest on %s runs %v", vmi.Namespace, vmi.Name, g.node, names)
	}
	return nil
}

// readGuest builds the guest of a running VMI from its spec and from the
// user data cloud-init read at its first boot.
func (s *simulator) readGuest(ctx context.Context, vm *unstructured.Unstructured, vmi *kubevirtv1.VirtualMachineInstance) (*guest, error) {
	cc, err := s.userData(ctx, vmi)
	if err != nil {
		return nil, err
	}
	resolve := func(ns, host string) *serviceRef { return s.resolveService(ctx, ns, host) }
	return newGuest(vm, vmi, cc, resolve, s.logf), nil
}

// newGuest is the guest of vmi (of VM vm) given its user data; resolve
// finds the Service a client's server host names.
func newGuest(vm *unstructured.Unstructured, vmi *kubevirtv1.VirtualMachineInstance, cc lint.CloudConfig,
	resolve func(ns, host string) *serviceRef, logf func(string, ...any),
) *guest {
	g := &guest{
		uid: vmi.UID, namespace: vmi.Namespace, name: vmi.Name, node: vmi.Status.NodeName,
		labels: vmi.Labels, boot: runningSince(vmi),
		vcpus: vcpusOf(vmi.Spec.Domain), memory: memoryOf(vmi.Spec.Domain),
	}
	for _, d := range vmi.Spec.Domain.Devices.Disks {
		g.disks = append(g.disks, d.Name)
	}
	for _, v := range vmi.Spec.Volumes {
		if v.CloudInitNoCloud != nil || v.CloudInitConfigDrive != nil {
			g.cloudInit = v.Name
		}
	}
	for _, i := range vmi.Spec.Domain.Devices.Interfaces {
		g.interfaces = append(g.interfaces, i.Name)
	}
	g.workloads = workloadsOf(vmi, cc, resolve, logf)
	g.data = dataDiskOf(vm, vmi, g.workloads)
	return g
}

// runningSince is when the VMI entered Running, from its phase transitions.
func runningSince(vmi *kubevirtv1.VirtualMachineInstance) time.Time {
	for _, t := range vmi.Status.PhaseTransitionTimestamps {
		if t.Phase == kubevirtv1.Running {
			return t.PhaseTransitionTimestamp.Time
		}
	}
	return time.Now()
}

// vcpusOf counts the vCPUs as KubeVirt gives them: sockets x cores x
// threads, each 1 when unset.
func vcpusOf(d kubevirtv1.DomainSpec) int {
	if d.CPU == nil {
		return 1
	}
	n := 1
	for _, v := range []uint32{d.CPU.Sockets, d.CPU.Cores, d.CPU.Threads} {
		n *= int(max(v, 1))
	}
	return n
}

// memoryOf is the guest memory in bytes: memory.guest, else the memory
// request, else KubeVirt's small default.
func memoryOf(d kubevirtv1.DomainSpec) float64 {
	if d.Memory != nil && d.Memory.Guest != nil {
		return d.Memory.Guest.AsApproximateFloat64()
	}
	if q, ok := d.Resources.Requests["memory"]; ok {
		return q.AsApproximateFloat64()
	}
	return 128 << 20
}

// userData returns the VMI's NoCloud user data, inline or from its Secret
// (key userdata or userData, as KubeVirt reads).
func (s *simulator) userData(ctx context.Context, vmi *kubevirtv1.VirtualMachineInstance) (lint.CloudConfig, error) {
	for _, v := range vmi.Spec.Volumes {
		src := v.CloudInitNoCloud
		if src == nil {
			continue
		}
		var data []byte
		switch {
		case src.UserData != "":
			data = []byte(src.UserData)
		case src.UserDataBase64 != "":
			d, err := base64.StdEncoding.DecodeString(src.UserDataBase64)
			if err != nil {
				return lint.CloudConfig{}, fmt.Errorf("VMI %s/%s: userDataBase64: %w", vmi.Namespace, vmi.Name, err)
			}
			data = d
		case src.UserDataSecretRef != nil:
			d, err := s.secretUserData(ctx, vmi.Namespace, src.UserDataSecretRef.Name)
			if err != nil {
				return lint.CloudConfig{}, err
			}
			data = d
		}
		cc, err := lint.Parse(data)
		if err != nil {
			s.logf("%s/%s: user data is not a cloud-config (%v); the guest runs no workload", vmi.Namespace, vmi.Name, err)
			return lint.CloudConfig{}, nil
		}
		return cc, nil
	}
	return lint.CloudConfig{}, nil
}

func (s *simulator) secretUserData(ctx context.Context, ns, name string) ([]byte, error) {
	u, err := s.client.Resource(secrets).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading user-data Secret %s/%s: %w", ns, name, err)
	}
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	for _, key := range []string{"userdata", "userData"} {
		if v, ok := data[key]; ok {
			d, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return nil, fmt.Errorf("Secret %s/%s: key %s: %w", ns, name, key, err)
			}
			return d, nil
		}
	}
	return nil, fmt.Errorf("Secret %s/%s has no userdata key", ns, name)
}

// workloadsOf reads each /etc/virtwork/NAME.env the user data writes, with
// the Service host lines its runcmd adds at first boot, and the schedule
// file its VIRTWORK_SCHEDULE names, as the guest's units do. A workload the
// model does not know runs but moves no metric.
func workloadsOf(vmi *kubevirtv1.VirtualMachineInstance, cc lint.CloudConfig, resolve func(ns, host string) *serviceRef, logf func(string, ...any)) []workloadRun {
	files := cc.WriteFiles
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.Path] = f.Content
	}
	models := workloadModels()
	var out []workloadRun
	for _, f := range files {
		dir, file := path.Split(f.Path)
		name, ok := strings.CutSuffix(file, ".env")
		if dir != "/etc/virtwork/" || !ok {
			continue
		}
		w := workloadRun{name: name, env: parseEnv(f.Content), model: models[name]}
		addServiceHosts(vmi, f.Path, cc.RunCmd, w.env, logf)
		if p := w.env["VIRTWORK_SCHEDULE"]; p != "" {
			fc, err := profile.ParseFile([]byte(byPath[p]))
			if err != nil {
				// The unit fails at every start: no load.
				logf("%s/%s: workload %s: %s: %v; it runs no load", vmi.Namespace, vmi.Name, name, p, err)
				continue
			}
			w.sched = &fc
		}
		if host := w.env[w.model.serverEnv]; w.model.serverEnv != "" && host != "" {
			w.server = resolve(vmi.Namespace, host)
		}
		out = append(out, w)
	}
	return out
}

// addServiceHosts adds to env, the EnvironmentFile at file, the lines the
// guest's runcmd writes into it at first boot: Service hosts derived from
// the VM's name, which is the VMI's hostname under KubeVirt.
func addServiceHosts(vmi *kubevirtv1.VirtualMachineInstance, file string, runcmd [][]string, env map[string]string, logf func(string, ...any)) {
	for _, c := range runcmd {
		step, ok := workloads.ParseServiceHostCmd(c)
		if !ok || step.File != file {
			continue
		}
		host, err := step.Rule.Host(vmi.Name)
		if err != nil {
			// The guest's script fails the same way: no host, no server.
			logf("%s/%s: %s: %v; the client has no server", vmi.Namespace, vmi.Name, file, err)
			continue
		}
		env[step.Variable] = host
	}
}

// parseEnv reads a systemd EnvironmentFile of KEY=VALUE lines.
func parseEnv(content string) map[string]string {
	env := map[string]string{}
	for line := range strings.SplitSeq(content, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = strings.Trim(v, `"'`)
		}
	}
	return env
}

// serviceName splits a host name such as NAME.NAMESPACE.svc into the
// Service's namespace (ns when the host has none) and name.
func serviceName(ns, host string) (string, string) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 {
		ns = parts[1]
	}
	return ns, parts[0]
}

// resolveService finds the Service a host name points at; nil when there
// is none, as a failed DNS lookup leaves the client with no server.
func (s *simulator) resolveService(ctx context.Context, ns, host string) *serviceRef {
	ns, name := serviceName(ns, host)
	u, err := s.client.Resource(services).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) {
			s.logf("resolving %s: %v; the client has no server", host, err)
		}
		return nil
	}
	sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "selector")
	if len(sel) == 0 {
		return nil
	}
	return &serviceRef{namespace: ns, selector: sel}
}

// dataDiskOf finds the disk whose serial a workload's VIRTWORK_DATA_SERIAL
// names, its mount point and the size its DataVolume template asks for.
func dataDiskOf(vm *unstructured.Unstructured, vmi *kubevirtv1.VirtualMachineInstance, ws []workloadRun) *dataDisk {
	for _, w := range ws {
		serial, mount := w.env["VIRTWORK_DATA_SERIAL"], w.env["VIRTWORK_DATA_MOUNT"]
		if serial == "" {
			continue
		}
		for _, d := range vmi.Spec.Domain.Devices.Disks {
			if d.Serial == serial {
				return &dataDisk{drive: d.Name, mount: mount, size: volumeSize(vm, vmi, d.Name)}
			}
		}
	}
	return nil
}

// volumeSize is the storage request of the DataVolume template behind the
// named disk's volume; 10Gi when it cannot be found.
func volumeSize(vm *unstructured.Unstructured, vmi *kubevirtv1.VirtualMachineInstance, disk string) float64 {
	size := resource.MustParse("10Gi")
	var dv string
	for _, v := range vmi.Spec.Volumes {
		if v.Name == disk && v.DataVolume != nil {
			dv = v.DataVolume.Name
		}
	}
	templates, _, _ := unstructured.NestedSlice(vm.Object, "spec", "dataVolumeTemplates")
	for _, t := range templates {
		tmpl, _ := t.(map[string]any)
		name, _, _ := unstructured.NestedString(tmpl, "metadata", "name")
		req, _, _ := unstructured.NestedString(tmpl, "spec", "storage", "resources", "requests", "storage")
		if name == dv && req != "" {
			if q, err := resource.ParseQuantity(req); err == nil {
				size = q
			}
		}
	}
	return size.AsApproximateFloat64()
}
