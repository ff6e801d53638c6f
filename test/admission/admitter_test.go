package admission

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	k8sv1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
	instancetypev1beta1 "kubevirt.io/api/instancetype/v1beta1"
	"kubevirt.io/client-go/kubecli"
	kubevirtfake "kubevirt.io/client-go/kubevirt/fake"
	cdiv1beta1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	"kubevirt.io/kubevirt/pkg/instancetype/apply"
	"kubevirt.io/kubevirt/pkg/instancetype/find"
	preferencefind "kubevirt.io/kubevirt/pkg/instancetype/preference/find"
	netadmitter "kubevirt.io/kubevirt/pkg/network/admitter"
	"kubevirt.io/kubevirt/pkg/testutils"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks/mutating-webhook/mutators"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks/validating-webhook/admitters"
	virtconfig "kubevirt.io/kubevirt/pkg/virt-config"
)

// webhook is virt-api's validating webhook for the two requests a started VM
// makes: the VM's create, then the create of the VMI the VM controller makes
// from its template (after applying the VM's instance type and preference).
type webhook struct {
	config *virtconfig.ClusterConfig
	vms    *admitters.VMsAdmitter
	vmis   *admitters.VMICreateAdmitter
	// instancetypes and preferences find a VM's instance type and
	// preference as KubeVirt's VM controller does, from the same client.
	instancetypes instancetypeFinder
	preferences   preferenceFinder
}

type instancetypeFinder interface {
	Find(*kubevirtv1.VirtualMachine) (*instancetypev1beta1.VirtualMachineInstancetypeSpec, error)
}

type preferenceFinder interface {
	FindPreference(*kubevirtv1.VirtualMachine) (*instancetypev1beta1.VirtualMachinePreferenceSpec, error)
}

// newWebhook builds the admitters as virt-api does (NewVMsAdmitter; the VMI
// admitter with the network spec validator) for a cluster with KubeVirt's
// default configuration, no feature gates, and CDI installed (the DataVolume
// API the plugin's data disks need). The client is a gomock mock that answers
// only instance type and preference lookups (cluster-wide and namespaced),
// from a fake clientset holding objects; any other call the admitters make
// fails the test naming it.
func newWebhook(t *testing.T, objects ...runtime.Object) webhook {
	t.Helper()
	config, _, _ := testutils.NewFakeClusterConfigUsingKVConfig(&kubevirtv1.KubeVirtConfiguration{})
	dataSources, _ := testutils.NewFakeInformerFor(&cdiv1beta1.DataSource{})
	namespaces, _ := testutils.NewFakeInformerFor(&k8sv1.Namespace{})
	client := kubecli.NewMockKubevirtClient(gomock.NewController(t))
	fake := kubevirtfake.NewSimpleClientset(objects...).InstancetypeV1beta1()
	client.EXPECT().VirtualMachineClusterInstancetype().Return(fake.VirtualMachineClusterInstancetypes()).AnyTimes()
	client.EXPECT().VirtualMachineClusterPreference().Return(fake.VirtualMachineClusterPreferences()).AnyTimes()
	client.EXPECT().VirtualMachineInstancetype(gomock.Any()).DoAndReturn(fake.VirtualMachineInstancetypes).AnyTimes()
	client.EXPECT().VirtualMachinePreference(gomock.Any()).DoAndReturn(fake.VirtualMachinePreferences).AnyTimes()
	informers := &webhooks.Informers{DataSourceInformer: dataSources, NamespaceInformer: namespaces}
	accounts := webhooks.KubeVirtServiceAccounts("kubevirt")
	network := func(field *k8sfield.Path, spec *kubevirtv1.VirtualMachineInstanceSpec, cfg *virtconfig.ClusterConfig) []metav1.StatusCause {
		return netadmitter.Validate(field, spec, cfg)
	}
	return webhook{
		config: config,
		vms:    admitters.NewVMsAdmitter(config, client, informers, accounts),
		vmis: &admitters.VMICreateAdmitter{ClusterConfig: config, KubeVirtServiceAccounts: accounts,
			SpecValidators: []admitters.SpecValidator{network}},
		instancetypes: find.NewSpecFinder(nil, nil, nil, client),
		preferences:   preferencefind.NewSpecFinder(nil, nil, nil, client),
	}
}

// admit sends vm's create request as the API server would. When it is
// allowed, it then sends the create of the VMI the VM controller makes from
// the template: with the VM's instance type and preference applied as the
// controller applies them (one that does not exist refuses the VM here, as
// the controller makes no VMI for it, though the VM admitter lets it pass),
// then KubeVirt's own VMI mutations (defaults, architecture). That admitter
// also checks every volume has a disk and memory is requested.
func (w webhook) admit(vm vmDoc) *admissionv1.AdmissionResponse {
	resp := w.vms.Admit(context.Background(), review("virtualmachines", vm.raw))
	var typed kubevirtv1.VirtualMachine
	if err := json.Unmarshal(vm.raw, &typed); err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: err.Error()}}
	}
	if !resp.Allowed {
		return resp
	}
	vmi := &kubevirtv1.VirtualMachineInstance{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachineInstance"},
		ObjectMeta: *typed.Spec.Template.ObjectMeta.DeepCopy(),
		Spec:       *typed.Spec.Template.Spec.DeepCopy(),
	}
	vmi.Name, vmi.Namespace = typed.Name, typed.Namespace
	if err := w.applySizing(&typed, vmi); err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: "VM controller: " + err.Error()}}
	}
	if err := mutators.ApplyNewVMIMutations(vmi, w.config); err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: "VMI mutations: " + err.Error()}}
	}
	raw, err := json.Marshal(vmi)
	if err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: err.Error()}}
	}
	return w.vmis.Admit(context.Background(), review("virtualmachineinstances", raw))
}

// applySizing applies vm's instance type and preference to vmi with
// KubeVirt's own finders and applier, as the VM controller's ApplyToVMI.
func (w webhook) applySizing(vm *kubevirtv1.VirtualMachine, vmi *kubevirtv1.VirtualMachineInstance) error {
	it, err := w.instancetypes.Find(vm)
	if err != nil {
		return fmt.Errorf("finding the instance type: %w", err)
	}
	pref, err := w.preferences.FindPreference(vm)
	if err != nil {
		return fmt.Errorf("finding the preference: %w", err)
	}
	if it == nil && pref == nil {
		return nil
	}
	if c := apply.NewVMIApplier().ApplyToVMI(k8sfield.NewPath("spec"), it, pref, &vmi.Spec, &vmi.ObjectMeta); len(c) > 0 {
		return fmt.Errorf("VMI conflicts with the instance type in fields: [%s]", c.String())
	}
	return nil
}

// review is the create request of raw, an object of kubevirt.io/v1 resource.
func review(resource string, raw []byte) *admissionv1.AdmissionReview {
	var meta struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	_ = json.Unmarshal(raw, &meta)
	return &admissionv1.AdmissionReview{Request: &admissionv1.AdmissionRequest{
		UID:       types.UID("virtwork-admission-test"),
		Resource:  metav1.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: resource},
		Name:      meta.Metadata.Name,
		Namespace: meta.Metadata.Namespace,
		Operation: admissionv1.Create,
		UserInfo:  authenticationv1.UserInfo{Username: "virtwork-user"},
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// refusal describes why KubeVirt refused a VM: the message and each cause.
func refusal(resp *admissionv1.AdmissionResponse) string {
	if resp.Result == nil {
		return "refused with no status"
	}
	parts := []string{resp.Result.Message}
	if resp.Result.Details != nil {
		for _, c := range resp.Result.Details.Causes {
			parts = append(parts, fmt.Sprintf("%s: %s", c.Field, c.Message))
		}
	}
	return strings.Join(parts, "; ")
}

// clusterInstancetype is a cluster instance type like common-instancetypes'
// u1 series: it sets the CPU and memory a VM then must not set itself.
func clusterInstancetype(name string, cpus uint32, memory string) *instancetypev1beta1.VirtualMachineClusterInstancetype {
	it := &instancetypev1beta1.VirtualMachineClusterInstancetype{ObjectMeta: metav1.ObjectMeta{Name: name}}
	it.Spec.CPU.Guest = cpus
	it.Spec.Memory.Guest = resource.MustParse(memory)
	return it
}

// instancetype is a namespaced instance type of ns.
func instancetype(ns, name string, cpus uint32, memory string) *instancetypev1beta1.VirtualMachineInstancetype {
	it := &instancetypev1beta1.VirtualMachineInstancetype{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	it.Spec.CPU.Guest = cpus
	it.Spec.Memory.Guest = resource.MustParse(memory)
	return it
}

// preferenceSpec is like common-instancetypes' fedora preference: virtio
// disks and interfaces, sockets, and the least CPU and memory the guest
// needs.
func preferenceSpec(minCPUs uint32, minMemory string) instancetypev1beta1.VirtualMachinePreferenceSpec {
	return instancetypev1beta1.VirtualMachinePreferenceSpec{
		CPU: &instancetypev1beta1.CPUPreferences{PreferredCPUTopology: ptr.To(instancetypev1beta1.Sockets)},
		Devices: &instancetypev1beta1.DevicePreferences{PreferredDiskBus: kubevirtv1.DiskBusVirtio,
			PreferredInterfaceModel: kubevirtv1.VirtIO, PreferredRng: &kubevirtv1.Rng{}},
		Requirements: &instancetypev1beta1.PreferenceRequirements{
			CPU:    &instancetypev1beta1.CPUPreferenceRequirement{Guest: minCPUs},
			Memory: &instancetypev1beta1.MemoryPreferenceRequirement{Guest: resource.MustParse(minMemory)},
		},
	}
}

func clusterPreference(name string, spec instancetypev1beta1.VirtualMachinePreferenceSpec) *instancetypev1beta1.VirtualMachineClusterPreference {
	return &instancetypev1beta1.VirtualMachineClusterPreference{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
}

func preference(ns, name string, spec instancetypev1beta1.VirtualMachinePreferenceSpec) *instancetypev1beta1.VirtualMachinePreference {
	return &instancetypev1beta1.VirtualMachinePreference{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

// sizingObjects are the instance types and preferences the golden files
// and render cases name, in the namespaces they render into: a VM naming
// one that is missing here fails its test.
func sizingObjects() []runtime.Object {
	var out []runtime.Object
	for _, ns := range []string{"virtwork", "load-test"} {
		out = append(out, instancetype(ns, "small", 2, "2Gi"), preference(ns, "fedora-virtio", preferenceSpec(1, "1Gi")),
			preference(ns, "fedora", preferenceSpec(1, "1Gi")))
	}
	return append(out, clusterInstancetype("u1.medium", 1, "4Gi"), clusterPreference("fedora", preferenceSpec(1, "1Gi")))
}
