package preflight

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSpreadNeedsClusterWide: a run spread over namespaces needs each
// permission cluster-wide; its namespaces are each checked and the one
// that is absent makes apply need to create namespaces. One namespace
// changes nothing.
func TestSpreadNeedsClusterWide(t *testing.T) {
	one := Apply("load", []string{"VirtualMachine"}, true, false, false)
	if got := one.Spread([]string{"load"}); got.Namespace != "load" || got.Permissions[0].Namespace != "load" {
		t.Errorf("Spread of one namespace changed the needs: %+v", got)
	}
	spread := one.Spread([]string{"t-0", "t-1"})
	if spread.Namespace != "" || len(spread.Namespaces) != 2 {
		t.Fatalf("Spread: namespace %q, namespaces %v", spread.Namespace, spread.Namespaces)
	}
	for _, p := range spread.Permissions {
		if p.Namespace != "" {
			t.Errorf("%s is not cluster-wide", p)
		}
	}
	if one.Permissions[0].Namespace != "load" {
		t.Error("Spread changed the needs it was called on")
	}

	c := fakeCluster([]string{"kubevirt.io/v1"})
	if _, err := c.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "t-0"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(t.Context(), c, spread)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{
		"Preflight for apply in 2 namespaces, t-0 to t-1:",
		"namespace t-0: exists", "namespace t-1: does not exist; apply creates it",
		"create namespaces cluster-wide", "watch virtualmachines.kubevirt.io cluster-wide",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("checklist lacks %q:\n%s", want, out.String())
		}
	}
}
