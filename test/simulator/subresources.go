package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

// SubresourceGroupVersion is the API virt-api serves KubeVirt's VM
// subresources under, through the API server's aggregator.
var SubresourceGroupVersion = schema.GroupVersion{Group: "subresources.kubevirt.io", Version: "v1"}

// Subresources, given as Options.Subresources, makes the simulator serve
// the restart subresource of VirtualMachines as virt-api does
// (aggregate.go) and counts the restarts it did, so a test can tell that
// a restart went through it. The zero value is ready to use; one
// simulator at a time may serve it on one API server.
type Subresources struct {
	mu       sync.Mutex
	restarts map[string]map[string]int // namespace -> VM -> restarts
}

// Restarts returns how many times the subresource restarted each VM of
// namespace, by VM name.
func (r *Subresources) Restarts(namespace string) map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.restarts[namespace])
}

func (r *Subresources) count(namespace, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.restarts == nil {
		r.restarts = map[string]map[string]int{}
	}
	if r.restarts[namespace] == nil {
		r.restarts[namespace] = map[string]int{}
	}
	r.restarts[namespace][name]++
}

// subresourceHandler serves what the aggregator and client-go ask of
// virt-api for the restart subresource: discovery of the group and its
// version, and PUT .../virtualmachines/NAME/restart. Requests come only
// through the API server, which has authenticated and authorized them;
// without a proxy client certificate configured on it, nothing here checks
// that they did (virt-api does).
func (s *simulator) subresourceHandler() http.Handler {
	gv := SubresourceGroupVersion
	version := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
	group := metav1.APIGroup{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
		Name:     gv.Group, Versions: []metav1.GroupVersionForDiscovery{version}, PreferredVersion: version,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /apis", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{group}})
	})
	mux.HandleFunc("GET /apis/"+gv.Group, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, group) })
	mux.HandleFunc("GET /apis/"+gv.String(), func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: gv.String(),
			// virt-api lists its subresources with no kind and no verbs.
			APIResources: []metav1.APIResource{{Name: "virtualmachines/restart", Namespaced: true}},
		})
	})
	mux.HandleFunc("PUT /apis/"+gv.String()+"/namespaces/{namespace}/virtualmachines/{name}/restart", func(w http.ResponseWriter, r *http.Request) {
		ns, name := r.PathValue("namespace"), r.PathValue("name")
		if err := s.restartVM(r.Context(), ns, name, r.Body); err != nil {
			writeStatus(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{Group: gv.Group}, r.URL.Path))
	})
	return mux
}

// restartVM does what virt-api's restart does for a VM with runStrategy
// Always: the VM must exist (NotFound) and have a VMI (Conflict); the
// VMI is deleted, and the VM's runStrategy brings a new one. virt-api asks
// virt-controller to do it through the VM's status.stateChangeRequests;
// the simulator, being virt-controller, deletes the VMI itself. It reads
// the API, not its informers, as virt-api serves every namespace.
func (s *simulator) restartVM(ctx context.Context, ns, name string, body io.Reader) error {
	var opts kubevirtv1.RestartOptions
	if raw, err := io.ReadAll(body); err != nil || len(raw) > 0 && json.Unmarshal(raw, &opts) != nil {
		return apierrors.NewBadRequest("the body is not RestartOptions in JSON")
	}
	if g := opts.GracePeriodSeconds; g != nil && *g != 0 {
		return apierrors.NewBadRequest("for a force restart, only gracePeriodSeconds 0 is supported")
	}
	vmResource := kubevirtv1.Resource("virtualmachine")
	u, err := s.client.Resource(VirtualMachines).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	vm := &kubevirtv1.VirtualMachine{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, vm); err != nil {
		return apierrors.NewInternalError(err)
	}
	rs, err := vm.RunStrategy()
	switch {
	case err != nil:
		return apierrors.NewInternalError(err)
	case rs == kubevirtv1.RunStrategyHalted || rs == kubevirtv1.RunStrategyOnce:
		return apierrors.NewConflict(vmResource, name, fmt.Errorf("RunStrategy %s does not support manual restart requests", rs))
	case rs != kubevirtv1.RunStrategyAlways:
		return apierrors.NewConflict(vmResource, name, fmt.Errorf("the virtwork simulator restarts only VMs with RunStrategy %s, not %s", kubevirtv1.RunStrategyAlways, rs))
	}
	vmis := s.client.Resource(VirtualMachineInstances).Namespace(ns)
	vmi, err := vmis.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || err == nil && vmi.GetDeletionTimestamp() != nil {
		return apierrors.NewConflict(vmResource, name, errors.New("VM is not running"))
	}
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if len(opts.DryRun) > 0 {
		return nil
	}
	uid := vmi.GetUID()
	err = vmis.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return apierrors.NewConflict(vmResource, name, errors.New("VM is not running"))
	}
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	s.opts.Subresources.count(ns, name)
	s.logf("VirtualMachine %s/%s: restarted through the subresource", ns, name)
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus answers with the metav1.Status of err, as an API server does.
func writeStatus(w http.ResponseWriter, err error) {
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		se = apierrors.NewInternalError(err)
	}
	st := se.Status()
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	writeJSON(w, int(st.Code), st)
}
