package wait

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"
)

// keptMetadata and keptStatus are the only fields of a VM, VMI or
// DataVolume the tracker reads (and the informer needs: resourceVersion);
// of the conditions, only the types it reads, and of owner references the
// kind and name. Everything else — spec, labels, annotations,
// managedFields, the rest of the status — is dropped before an object
// enters the informer's cache, so a 10,000-VM wait holds a few hundred
// bytes per object, not the whole of it.
var (
	keptMetadata = []string{"name", "namespace", "uid", "resourceVersion",
		"creationTimestamp", "deletionTimestamp", "ownerReferences"}
	keptStatus = []string{"phase", "reason", "nodeName", "printableStatus",
		"conditions", "phaseTransitionTimestamps"}
	keptConditionTypes = []string{"Ready", "Failure", "Running", "PodScheduled"}
	keptCondition      = []string{"type", "status", "message", "lastTransitionTime"}
	keptOwner          = []string{"kind", "name"}
)

// slim is the informers' cache.TransformFunc: it replaces an object by a
// copy holding only what the tracker reads. Anything that is not an
// *unstructured.Unstructured (a tombstone) passes unchanged.
var slim cache.TransformFunc = func(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	out := map[string]any{}
	for _, k := range []string{"apiVersion", "kind"} {
		if v, ok := u.Object[k]; ok {
			out[k] = v
		}
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok {
		m := pick(md, keptMetadata)
		if refs, ok := m["ownerReferences"].([]any); ok {
			m["ownerReferences"] = pickEach(refs, keptOwner)
		}
		out["metadata"] = m
	}
	if st, ok := u.Object["status"].(map[string]any); ok {
		s := pick(st, keptStatus)
		if conds, ok := s["conditions"].([]any); ok {
			conds = slices.DeleteFunc(slices.Clone(conds), func(c any) bool {
				m, ok := c.(map[string]any)
				typ, _ := m["type"].(string)
				return ok && !slices.Contains(keptConditionTypes, typ)
			})
			s["conditions"] = pickEach(conds, keptCondition)
		}
		out["status"] = s
	}
	return &unstructured.Unstructured{Object: out}, nil
}

// pick copies the keys of m that are in keys.
func pick(m map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// pickEach applies pick to every map of a list, keeping other entries.
func pickEach(list []any, keys []string) []any {
	out := make([]any, len(list))
	for i, e := range list {
		if m, ok := e.(map[string]any); ok {
			out[i] = pick(m, keys)
		} else {
			out[i] = e
		}
	}
	return out
}
