package preflight

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
)

// These tests cover what the shared test control plane cannot show: APIs
// absent or in other versions, and StorageClass set-ups. Permissions are
// checked against the real API server's authorizer in test/rbac.

func fakeCluster(groupVersions []string, classes ...storagev1.StorageClass) *fake.Clientset {
	var objs []runtime.Object
	for i := range classes {
		objs = append(objs, &classes[i])
	}
	c := fake.NewClientset(objs...)
	var res []*metav1.APIResourceList
	for _, gv := range groupVersions {
		res = append(res, &metav1.APIResourceList{GroupVersion: gv})
	}
	c.Discovery().(*fakediscovery.FakeDiscovery).Resources = res
	// Every access review is allowed, except deleting namespaces.
	c.PrependReactor("create", "selfsubjectaccessreviews", func(a clienttesting.Action) (bool, runtime.Object, error) {
		r := a.(clienttesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = r.Spec.ResourceAttributes.Verb != "delete"
		return true, r, nil
	})
	return c
}

func class(name string, isDefault bool) storagev1.StorageClass {
	sc := storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: "x"}
	if isDefault {
		sc.Annotations = map[string]string{DefaultClassAnnotation: "true"}
	}
	return sc
}

func TestRun(t *testing.T) {
	tests := []struct {
		name          string
		groupVersions []string
		classes       []storagev1.StorageClass
		needs         Needs
		want          []string // the checklist lines
	}{
		{
			name:          "everything there",
			groupVersions: []string{"v1", "kubevirt.io/v1", "kubevirt.io/v1alpha3", "cdi.kubevirt.io/v1beta1"},
			classes:       []storagev1.StorageClass{class("slow", false), class("fast", true)},
			needs:         Apply("ns", []string{"Secret"}, false, true, true),
			want: []string{
				"[ok]      KubeVirt API kubevirt.io/v1: served (versions: v1, v1alpha3)",
				"[ok]      CDI API cdi.kubevirt.io/v1beta1: served (versions: v1beta1)",
				"[ok]      namespace ns: does not exist; apply creates it",
				"[ok]      get namespaces in namespace ns",
				"[ok]      list secrets in namespace ns",
				"[ok]      create secrets in namespace ns",
				"[ok]      patch secrets in namespace ns",
				"[ok]      create namespaces cluster-wide",
				"[ok]      default StorageClass: fast",
				"all 9 checks passed",
			},
		},
		{
			name:          "KubeVirt in another version, CDI absent but needed, no default class",
			groupVersions: []string{"v1", "kubevirt.io/v1alpha3"},
			classes:       []storagev1.StorageClass{class("slow", false)},
			needs:         Needs{Command: "apply", Namespace: "ns", DataVolumes: true, DefaultStorageClass: true},
			want: []string{
				"[missing] KubeVirt API kubevirt.io/v1: only versions v1alpha3 are served",
				"[missing] CDI API cdi.kubevirt.io/v1beta1: not served: install CDI, or choose workloads without data disks",
				"[missing] default StorageClass: none; mark one with the annotation storageclass.kubernetes.io/is-default-class=true, or pass --storage-class",
				"3 of 3 checks failed (deploy/rbac/ grants what virtwork needs)",
			},
		},
		{
			name:          "CDI absent and not needed; a permission refused",
			groupVersions: []string{"v1", "kubevirt.io/v1"},
			needs:         Cleanup("ns", false, false, true),
			want: []string{
				"[ok]      KubeVirt API kubevirt.io/v1: served (versions: v1)",
				"[ok]      CDI API cdi.kubevirt.io/v1beta1: not served (not needed: no data disks)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Run(t.Context(), fakeCluster(tt.groupVersions, tt.classes...), tt.needs)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			rep.Print(&out)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")[1:]
			if len(tt.want) < len(lines) {
				lines = lines[:len(tt.want)]
			}
			if diff := cmp.Diff(tt.want, lines); diff != "" {
				t.Errorf("checklist (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMissingPermissionIsNamed: a refused permission fails the report and
// reads as the message a refused request gets.
func TestMissingPermissionIsNamed(t *testing.T) {
	rep, err := Run(t.Context(), fakeCluster([]string{"kubevirt.io/v1"}), Cleanup("ns", false, false, true))
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, c := range rep.Missing() {
		problems = append(problems, c.Problem())
	}
	if diff := cmp.Diff([]string{"missing permission: delete namespaces in namespace ns"}, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
