package admission

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// vmDoc is one VirtualMachine as JSON, the bytes an API server would hand the
// webhook, and where it came from.
type vmDoc struct {
	source string
	name   string
	raw    []byte
}

// virtualMachines returns the VirtualMachines of a YAML stream or a JSON
// object (a v1 List is opened); other objects and documents without a kind
// (cloud-config files) are skipped.
func virtualMachines(source string, data []byte) ([]vmDoc, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var vms []vmDoc
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return vms, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		objs := []any{obj}
		if obj["kind"] == "List" {
			items, _ := obj["items"].([]any)
			objs = items
		}
		for _, o := range objs {
			m, _ := o.(map[string]any)
			if m["kind"] != "VirtualMachine" {
				continue
			}
			raw, err := json.Marshal(m)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", source, err)
			}
			meta, _ := m["metadata"].(map[string]any)
			name, _ := meta["name"].(string)
			vms = append(vms, vmDoc{source: source, name: name, raw: raw})
		}
	}
}
