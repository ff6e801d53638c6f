package wait

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// Classify names one VM's state, and why it is not Ready, from its
// VirtualMachine and its VirtualMachineInstance (nil when it has none), by
// the same rules ForRun follows a run with; for a command that follows one
// VM through an event of its own (disrupt) rather than a whole run.
func Classify(vm, vmi *unstructured.Unstructured) (State, string) {
	t := newTracker(Options{})
	name := ""
	if vm != nil {
		name = vm.GetName()
		t.observe(VMResource.Resource, vm)
	}
	if vmi != nil {
		name = vmi.GetName()
		t.observe(VMIResource.Resource, vmi)
	}
	return t.state(name).classify()
}
