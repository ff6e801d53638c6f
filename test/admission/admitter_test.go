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
	kubevirtv1 "kubevirt.io/api/core/v1"
	instancetypev1beta1 "kubevirt.io/api/instancetype/v1beta1"
	"kubevirt.io/client-go/kubecli"
	kubevirtfake "kubevirt.io/client-go/kubevirt/fake"
	cdiv1beta1 "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"

	netadmitter "kubevirt.io/kubevirt/pkg/network/admitter"
	"kubevirt.io/kubevirt/pkg/testutils"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks/mutating-webhook/mutators"
	"kubevirt.io/kubevirt/pkg/virt-api/webhooks/validating-webhook/admitters"
	virtconfig "kubevirt.io/kubevirt/pkg/virt-config"
)

// webhook is virt-api's validating webhook for the two requests a started VM
// makes: the VM's create, then the create of the VMI the VM controller makes
// from its template.
type webhook struct {
	config *virtconfig.ClusterConfig
	vms    *admitters.VMsAdmitter
	vmis   *admitters.VMICreateAdmitter
}

// newWebhook builds the admitters as virt-api does (NewVMsAdmitter; the VMI
// admitter with the network spec validator) for a cluster with KubeVirt's
// default configuration, no feature gates, and CDI installed (the DataVolume
// API the plugin's data disks need). The client is a gomock mock that answers
// only cluster instance type lookups, from instancetypes; any other call the
// admitters make fails the test naming it.
func newWebhook(t *testing.T, instancetypes ...runtime.Object) webhook {
	t.Helper()
	config, _, _ := testutils.NewFakeClusterConfigUsingKVConfig(&kubevirtv1.KubeVirtConfiguration{})
	dataSources, _ := testutils.NewFakeInformerFor(&cdiv1beta1.DataSource{})
	namespaces, _ := testutils.NewFakeInformerFor(&k8sv1.Namespace{})
	client := kubecli.NewMockKubevirtClient(gomock.NewController(t))
	fake := kubevirtfake.NewSimpleClientset(instancetypes...)
	client.EXPECT().VirtualMachineClusterInstancetype().
		Return(fake.InstancetypeV1beta1().VirtualMachineClusterInstancetypes()).AnyTimes()
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
	}
}

// admit sends vm's create request as the API server would. When it is
// allowed and the VM takes no instance type or preference (which the VM
// controller would apply first), it then sends the create of the VMI the VM
// controller makes from the template, after KubeVirt's own VMI mutations
// (defaults, architecture): that admitter also checks every volume has a disk
// and memory is requested.
func (w webhook) admit(vm vmDoc) *admissionv1.AdmissionResponse {
	resp := w.vms.Admit(context.Background(), review("virtualmachines", vm.raw))
	var typed kubevirtv1.VirtualMachine
	if err := json.Unmarshal(vm.raw, &typed); err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: err.Error()}}
	}
	if !resp.Allowed || typed.Spec.Instancetype != nil || typed.Spec.Preference != nil {
		return resp
	}
	vmi := &kubevirtv1.VirtualMachineInstance{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachineInstance"},
		ObjectMeta: *typed.Spec.Template.ObjectMeta.DeepCopy(),
		Spec:       *typed.Spec.Template.Spec.DeepCopy(),
	}
	vmi.Name, vmi.Namespace = typed.Name, typed.Namespace
	if err := mutators.ApplyNewVMIMutations(vmi, w.config); err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: "VMI mutations: " + err.Error()}}
	}
	raw, err := json.Marshal(vmi)
	if err != nil {
		return &admissionv1.AdmissionResponse{Result: &metav1.Status{Message: err.Error()}}
	}
	return w.vmis.Admit(context.Background(), review("virtualmachineinstances", raw))
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
