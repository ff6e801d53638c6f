package e2e

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

var prometheusRuleGVR = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "prometheusrules"}

// TestMonitoringRuleFitsTheCRD: the PrometheusRule that monitoring prints
// is accepted by prometheus-operator's CRD schema (test/crds, generated
// from the same Go types) with strict field validation, for every
// workload that has example rules; the schema is enforced, as a for: it
// cannot parse is refused.
func TestMonitoringRuleFitsTheCRD(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := newPlugin(t)
	r := p.run(t.Context(), "monitoring", "-n", e.ns, "--workloads", "cpu,memory,disk,network,chaos-disk", "--vm-count", "2",
		"--profile", "cpu=square:high=90,low=10,period=10m", "--profile", "network=sine:min=10,max=50,period=30m", "--params", "disk.iops=300")
	if r.code != 0 {
		t.Fatalf("monitoring: exit %d: %s", r.code, r.stderr)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(r.stdout), &obj.Object); err != nil {
		t.Fatal(err)
	}
	created, err := e.client.Resource(prometheusRuleGVR).Namespace(e.ns).Create(t.Context(), obj, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatalf("creating the PrometheusRule: %v\n%s", err, r.stdout)
	}
	groups, _, _ := unstructured.NestedSlice(created.Object, "spec", "groups")
	if len(groups) != 5 || created.GetLabels()["virtwork/run-id"] == "" {
		t.Errorf("stored %d groups, labels %v", len(groups), created.GetLabels())
	}

	broken := obj.DeepCopy()
	broken.SetName(obj.GetName() + "-broken")
	rule := groups[0].(map[string]any)["rules"].([]any)[0].(map[string]any)
	rule["for"] = "2 minutes"
	if err := unstructured.SetNestedSlice(broken.Object, groups[:1], "spec", "groups"); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Resource(prometheusRuleGVR).Namespace(e.ns).Create(t.Context(), broken, metav1.CreateOptions{FieldValidation: "Strict"})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.groups[0].rules[0].for") {
		t.Errorf("a for: of \"2 minutes\": err = %v, want 422 Invalid naming the field", err)
	}
}
