package cleanup

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/virtwork/kubectl-virtwork/pkg/access"
	"github.com/virtwork/kubectl-virtwork/pkg/disrupt"
	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/paged"
	"github.com/virtwork/kubectl-virtwork/pkg/wait"
)

// kind is one kind of object a run leaves.
type kind struct {
	name string
	gvr  schema.GroupVersionResource
	// followed: cleanup does not delete these, it waits for them to go.
	followed bool
}

// kinds are what a run leaves, in delete order. VMIs follow their VMs and
// DataVolumes' PVCs their DataVolumes through owner references; deleting
// the labelled ones directly also covers what an interrupted apply left
// half-made. VMIs are never deleted directly (their VM would start a new
// one), but waited for: a VMI goes only once its guest has shut down, and
// until then it holds its node's CPU and memory. The migrations disrupt
// created go first, so none is left pointing at a VMI being removed.
func kinds() []kind {
	return []kind{
		{name: "VirtualMachineInstanceMigration", gvr: disrupt.MigrationResource},
		{name: "VirtualMachine", gvr: wait.VMResource},
		{name: "VirtualMachineInstance", gvr: wait.VMIResource, followed: true},
		{name: "DataVolume", gvr: wait.DVResource},
		{name: "PersistentVolumeClaim", gvr: schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}},
		{name: "Service", gvr: schema.GroupVersionResource{Version: "v1", Resource: "services"}},
		{name: "Secret", gvr: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}},
	}
}

// Found is what a cleanup targets.
type Found struct {
	// ByNamespace counts objects by kind, per namespace.
	ByNamespace map[string]map[string]int
	// RunIDs are the runs they belong to.
	RunIDs map[string]bool
	Total  int
}

// hasAPI reports whether the cluster serves gvr (CDI's DataVolumes may be
// missing).
func hasAPI(mapper meta.RESTMapper, gvr schema.GroupVersionResource) bool {
	_, err := mapper.KindFor(gvr)
	return err == nil
}

// find lists what the cleanup deletes, leaving out what is already being
// deleted.
func (c *cleaner) find(ctx context.Context) (*Found, error) { return c.list(ctx, false) }

// left lists everything of the run that is not gone yet: VMIs too, and
// what is being deleted (a VMI while its guest shuts down, a PVC held by
// its pvc-protection finalizer until no pod uses it).
func (c *cleaner) left(ctx context.Context) (*Found, error) { return c.list(ctx, true) }

func (c *cleaner) list(ctx context.Context, terminating bool) (*Found, error) {
	f := &Found{ByNamespace: map[string]map[string]int{}, RunIDs: map[string]bool{}}
	for _, k := range kinds() {
		if k.followed && !terminating {
			continue
		}
		if !hasAPI(c.o.Mapper, k.gvr) {
			continue // CDI not installed: no DataVolumes to find
		}
		// A page at a time, counting: a 10,000-VM run's metadata is never
		// held whole.
		err := paged.EachMetadata(ctx, c.o.Metadata.Resource(k.gvr).Namespace(c.listNamespace()), metav1.ListOptions{LabelSelector: c.selector()}, func(item *metav1.PartialObjectMetadata) {
			if item.GetDeletionTimestamp() != nil && !terminating {
				return // already going
			}
			if !labels.Covers(c.o.Namespaces, item.GetNamespace()) {
				return // the same run id elsewhere: not this run's namespaces
			}
			ns := item.GetNamespace()
			if f.ByNamespace[ns] == nil {
				f.ByNamespace[ns] = map[string]int{}
			}
			f.ByNamespace[ns][k.name]++
			f.Total++
			if id := item.GetLabels()[labels.RunID]; id != "" {
				f.RunIDs[id] = true
			}
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.gvr.Resource, access.Explain(err))
		}
	}
	return f, nil
}

// Print writes the objects found by namespace and kind, and their runs.
func (f *Found) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tKIND\tCOUNT")
	for _, ns := range slices.Sorted(maps.Keys(f.ByNamespace)) {
		for _, k := range kinds() {
			if n := f.ByNamespace[ns][k.name]; n > 0 {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", ns, k.name, n)
			}
		}
	}
	tw.Flush()
	ids := slices.Sorted(maps.Keys(f.RunIDs))
	fmt.Fprintf(w, "%d objects of %d run(s): %s\n", f.Total, len(ids), strings.Join(ids, ", "))
}

// ByKind sums the counts over namespaces, in kinds' order, as "134
// VirtualMachineInstance, 2 PersistentVolumeClaim".
func (f *Found) ByKind() string {
	var parts []string
	for _, k := range kinds() {
		n := 0
		for _, byKind := range f.ByNamespace {
			n += byKind[k.name]
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k.name))
		}
	}
	return strings.Join(parts, ", ")
}
