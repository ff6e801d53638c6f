package render

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubevirtv1 "kubevirt.io/api/core/v1"
	cdiv1beta1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"github.com/virtwork/kubectl-virtwork/pkg/config"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Disk and volume names inside every VM.
const (
	rootDisk      = "rootdisk"
	cloudInitDisk = "cloudinitdisk"
	dataDisk      = "datadisk"
)

// roleTemplate is the VirtualMachine every VM of one workload role is cut
// from. It is built once from the KubeVirt API types, so field names are
// checked by the compiler, then converted to a map; instantiate copies only
// the few maps that differ per VM and shares the rest.
type roleTemplate struct {
	spec           workloads.Spec
	workload, role string
	runID          string
	obj            map[string]any
	// dvSuffixes name the role's dataVolumeTemplates, in order: each
	// VM's DataVolume is <vm>-<suffix> (rootDV, dataDV).
	dvSuffixes []string
	// slotKey is the label of each VM's --vms-per-node slot, "" for none.
	slotKey string
}

func newRoleTemplate(cfg *config.Config, wc config.Workload, spec workloads.Spec, role workloads.Role) (*roleTemplate, error) {
	vm := &kubevirtv1.VirtualMachine{
		TypeMeta: metav1.TypeMeta{APIVersion: kubevirtv1.SchemeGroupVersion.String(), Kind: "VirtualMachine"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: cfg.Namespace,
		},
		Spec: kubevirtv1.VirtualMachineSpec{
			RunStrategy: ptr(kubevirtv1.RunStrategyAlways),
			Template: &kubevirtv1.VirtualMachineInstanceTemplateSpec{
				Spec: kubevirtv1.VirtualMachineInstanceSpec{
					Domain: kubevirtv1.DomainSpec{
						Devices: kubevirtv1.Devices{
							Disks: []kubevirtv1.Disk{
								virtioDisk(rootDisk, ""),
								virtioDisk(cloudInitDisk, ""),
							},
							Interfaces: []kubevirtv1.Interface{{
								Name:                   "default",
								InterfaceBindingMethod: kubevirtv1.InterfaceBindingMethod{Masquerade: &kubevirtv1.InterfaceMasquerade{}},
							}},
						},
					},
					// Ready means the workload runs, not only the VM: the
					// guest agent runs systemctl inside the guest.
					ReadinessProbe: readinessProbe(role.Unit),
					Networks: []kubevirtv1.Network{{
						Name:          "default",
						NetworkSource: kubevirtv1.NetworkSource{Pod: &kubevirtv1.PodNetwork{}},
					}},
					Volumes: []kubevirtv1.Volume{
						{Name: rootDisk, VolumeSource: kubevirtv1.VolumeSource{
							ContainerDisk: &kubevirtv1.ContainerDiskSource{Image: cfg.Image},
						}},
						{Name: cloudInitDisk, VolumeSource: kubevirtv1.VolumeSource{
							CloudInitNoCloud: &kubevirtv1.CloudInitNoCloudSource{UserDataSecretRef: &corev1.LocalObjectReference{}},
						}},
					},
				},
			},
		},
	}
	size(vm, wc)
	t := &roleTemplate{spec: spec, workload: spec.Name, role: role.Name, runID: cfg.RunID}
	t.slotKey = place(&vm.Spec.Template.Spec, cfg.RunID, spec.Name, wc.Placement)
	if cfg.Boot.Cloned() {
		t.dvSuffixes = append(t.dvSuffixes, rootDV)
		addRootDataVolume(vm, cfg.Boot, wc)
	}
	if role.DataDisk != nil {
		t.dvSuffixes = append(t.dvSuffixes, dataDV)
		addDataDisk(vm, role.DataDisk.Serial, wc)
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(vm)
	if err != nil {
		return nil, fmt.Errorf("workload %s: converting VirtualMachine: %w", spec.Name, err)
	}
	// The Go types carry fields a manifest should not: an empty status and
	// null creation timestamps.
	delete(obj, "status")
	prune(obj)
	domain := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["domain"].(map[string]any)
	if r, ok := domain["resources"].(map[string]any); ok && len(r) == 0 {
		delete(domain, "resources") // KubeVirt derives requests from cores and guest memory
	}
	preEncodeShared(obj)
	t.obj = obj
	return t, nil
}

// size gives the VM its instance type and preference, or its own vCPUs and
// guest memory. An instance type sizes the VM alone: KubeVirt refuses a VM
// that also sets domain.cpu, domain.memory or CPU and memory resources.
// Without one, a preference's CPU requirement is checked against the VM's
// sockets (the topology KubeVirt prefers when the preference names none),
// so the vCPUs are sockets then; otherwise they are cores, as always.
func size(vm *kubevirtv1.VirtualMachine, wc config.Workload) {
	p := wc.Preference
	if p.Name != "" {
		vm.Spec.Preference = &kubevirtv1.PreferenceMatcher{Kind: p.Kind, Name: p.Name}
	}
	if it := wc.Instancetype; it.Name != "" {
		vm.Spec.Instancetype = &kubevirtv1.InstancetypeMatcher{Kind: it.Kind, Name: it.Name}
		return
	}
	cpu := &kubevirtv1.CPU{Cores: uint32(wc.CPUCores)}
	if p.Name != "" {
		cpu = &kubevirtv1.CPU{Sockets: uint32(wc.CPUCores)}
	}
	guest := wc.Memory.DeepCopy()
	vm.Spec.Template.Spec.Domain.CPU = cpu
	vm.Spec.Template.Spec.Domain.Memory = &kubevirtv1.Memory{Guest: &guest}
}

// addDataDisk gives the VM its data disk: a blank DataVolume of the
// workload's size, seen in the guest under serial.
func addDataDisk(vm *kubevirtv1.VirtualMachine, serial string, wc config.Workload) {
	devs := &vm.Spec.Template.Spec.Domain.Devices
	devs.Disks = append(devs.Disks, virtioDisk(dataDisk, serial))
	vm.Spec.Template.Spec.Volumes = append(vm.Spec.Template.Spec.Volumes, kubevirtv1.Volume{
		Name:         dataDisk,
		VolumeSource: kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{}},
	})
	vm.Spec.DataVolumeTemplates = append(vm.Spec.DataVolumeTemplates, kubevirtv1.DataVolumeTemplateSpec{
		Spec: cdiv1beta1.DataVolumeSpec{
			Source:  &cdiv1beta1.DataVolumeSource{Blank: &cdiv1beta1.DataVolumeBlankImage{}},
			Storage: storageSpec(wc.DiskSize, wc.StorageClass),
		},
	})
}

// addRootDataVolume makes the VM's root disk a DataVolume that CDI clones
// (a DataSource or PVC) or imports (a registry image or URL) per VM, of the
// workload's root disk size, in place of the containerDisk.
func addRootDataVolume(vm *kubevirtv1.VirtualMachine, b config.BootSource, wc config.Workload) {
	vm.Spec.Template.Spec.Volumes[0].VolumeSource = kubevirtv1.VolumeSource{DataVolume: &kubevirtv1.DataVolumeSource{}}
	spec := cdiv1beta1.DataVolumeSpec{Storage: storageSpec(wc.RootDiskSize, wc.StorageClass)}
	switch b.Kind {
	case config.BootDataSource:
		spec.SourceRef = &cdiv1beta1.DataVolumeSourceRef{Kind: cdiv1beta1.DataVolumeDataSource, Namespace: ptr(b.Namespace), Name: b.Name}
	case config.BootPVC:
		spec.Source = &cdiv1beta1.DataVolumeSource{PVC: &cdiv1beta1.DataVolumeSourcePVC{Namespace: b.Namespace, Name: b.Name}}
	case config.BootRegistry:
		spec.Source = &cdiv1beta1.DataVolumeSource{Registry: &cdiv1beta1.DataVolumeSourceRegistry{URL: ptr("docker://" + b.Image)}}
	case config.BootHTTP:
		spec.Source = &cdiv1beta1.DataVolumeSource{HTTP: &cdiv1beta1.DataVolumeSourceHTTP{URL: b.URL}}
	}
	vm.Spec.DataVolumeTemplates = append(vm.Spec.DataVolumeTemplates, kubevirtv1.DataVolumeTemplateSpec{Spec: spec})
}

// storageSpec requests size of class ("" for the cluster's default), in
// CDI's storage API, which fills in access and volume modes from the
// class's StorageProfile.
func storageSpec(size resource.Quantity, class string) *cdiv1beta1.StorageSpec {
	storage := &cdiv1beta1.StorageSpec{
		Resources: corev1.VolumeResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceStorage: size.DeepCopy()},
		},
	}
	if class != "" {
		storage.StorageClassName = ptr(class)
	}
	return storage
}

// preEncodeShared encodes once the parts every VM of the role shares: the
// domain, networks and placement (at indent 6, under spec.template.spec) and the data
// volumes' specs (at indent 4, in spec.dataVolumeTemplates).
func preEncodeShared(obj map[string]any) {
	vmiSpec := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	vmiSpec["domain"] = newPreEncoded(vmiSpec["domain"], 6)
	vmiSpec["networks"] = newPreEncoded(vmiSpec["networks"], 6)
	// Placement a role's VMs share (the affinity is each VM's own).
	for _, k := range []string{"nodeSelector", "tolerations", "topologySpreadConstraints"} {
		if v, ok := vmiSpec[k]; ok {
			vmiSpec[k] = newPreEncoded(v, 6)
		}
	}
	dvts, _ := obj["spec"].(map[string]any)["dataVolumeTemplates"].([]any)
	for _, d := range dvts {
		dvt := d.(map[string]any)
		dvt["spec"] = newPreEncoded(dvt["spec"], 4)
	}
}

// prune removes null values and the empty maps that only wrapped them, the
// way a hand-written manifest would leave them out. Empty maps that mean
// something (masquerade: {}, pod: {}, blank: {}) hold no nulls and stay.
func prune(m map[string]any) bool {
	hadNull := false
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, k)
			hadNull = true
		case map[string]any:
			if prune(v) && len(v) == 0 {
				delete(m, k)
			}
		case []any:
			for _, item := range v {
				if im, ok := item.(map[string]any); ok {
					prune(im)
				}
			}
		}
	}
	return hadNull
}

// Readiness probe timing: cloud-init installs packages before the unit
// starts, which takes minutes on a first boot, so the probe keeps trying
// (a VMI is simply not Ready until then) and a unit that stops being
// active takes the VMI out of Ready within about half a minute.
const (
	probeInitialDelay = 30
	probePeriod       = 10
	probeTimeout      = 5
	probeFailures     = 3
)

// ProbeCommand is the command a VM's readiness probe runs in the guest:
// it succeeds while the workload's unit is active.
func ProbeCommand(unit string) []string {
	return []string{"systemctl", "is-active", "--quiet", unit}
}

func readinessProbe(unit string) *kubevirtv1.Probe {
	return &kubevirtv1.Probe{
		Handler:             kubevirtv1.Handler{Exec: &corev1.ExecAction{Command: ProbeCommand(unit)}},
		InitialDelaySeconds: probeInitialDelay,
		PeriodSeconds:       probePeriod,
		TimeoutSeconds:      probeTimeout,
		FailureThreshold:    probeFailures,
	}
}

func virtioDisk(name, serial string) kubevirtv1.Disk {
	return kubevirtv1.Disk{
		Name:       name,
		Serial:     serial,
		DiskDevice: kubevirtv1.DiskDevice{Disk: &kubevirtv1.DiskTarget{Bus: kubevirtv1.DiskBusVirtio}},
	}
}

// instantiate returns the VM of p: the template with its own name, labels,
// Secret and DataVolumes.
func (t *roleTemplate) instantiate(p vmPlan) map[string]any {
	lbl := workloadLabels(t.runID, t.spec, t.role)
	lbl[labels.Instance] = itoa(p.instance)

	vm := shallow(t.obj)
	md := shallow(vm["metadata"].(map[string]any))
	md["name"] = p.name
	md["namespace"] = p.namespace
	md["labels"] = lbl
	vm["metadata"] = md

	spec := shallow(vm["spec"].(map[string]any))
	vm["spec"] = spec
	tmpl := shallow(spec["template"].(map[string]any))
	spec["template"] = tmpl
	vmiSpec := shallow(tmpl["spec"].(map[string]any))
	tmpl["spec"] = vmiSpec
	tmplLabels := lbl
	if t.slotKey != "" {
		tmplLabels, vmiSpec["affinity"] = t.withSlot(lbl, vmiSpec["affinity"], p.slot)
	}
	tmpl["metadata"] = map[string]any{"labels": tmplLabels}

	oldVols := vmiSpec["volumes"].([]any)
	vols := make([]any, len(oldVols))
	for i, v := range oldVols {
		vol := v.(map[string]any)
		switch vol["name"] {
		case cloudInitDisk:
			vols[i] = map[string]any{"name": cloudInitDisk, "cloudInitNoCloud": map[string]any{"secretRef": map[string]any{"name": p.secret}}}
		case dataDisk:
			vols[i] = map[string]any{"name": dataDisk, "dataVolume": map[string]any{"name": dataVolumeName(p.name, dataDV)}}
		case rootDisk:
			vols[i] = vol
			if _, ok := vol["dataVolume"]; ok {
				vols[i] = map[string]any{"name": rootDisk, "dataVolume": map[string]any{"name": dataVolumeName(p.name, rootDV)}}
			}
		default:
			vols[i] = vol
		}
	}
	vmiSpec["volumes"] = vols

	if len(t.dvSuffixes) > 0 {
		old := spec["dataVolumeTemplates"].([]any)
		dvts := make([]any, len(old))
		for i, suffix := range t.dvSuffixes {
			dvt := shallow(old[i].(map[string]any))
			dvt["metadata"] = map[string]any{"name": dataVolumeName(p.name, suffix), "labels": lbl}
			dvts[i] = dvt
		}
		spec["dataVolumeTemplates"] = dvts
	}
	return vm
}

func shallow(m map[string]any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func ptr[T any](v T) *T { return &v }
