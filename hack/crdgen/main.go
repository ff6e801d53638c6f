// Command crdgen writes the KubeVirt VirtualMachine, VirtualMachineInstance
// and VirtualMachineInstanceMigration CustomResourceDefinitions, and the instancetype.kubevirt.io ones (instance
// types and preferences, namespaced and cluster-wide), that the integration
// tests install.
//
// KubeVirt does not publish those CRDs as files: virt-operator builds them at
// run time from the OpenAPI schemas it generates into the CRDsValidation map
// of pkg/virt-operator/resource/generate/components/validations_generated.go.
// crdgen reads that map with go/parser (so the main module never imports
// kubevirt.io/kubevirt) and wraps the schemas the way KubeVirt's CRD builders
// do: same names, short names, categories, versions, printer columns and
// subresources. hack/gen-crds.sh runs it.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubevirtv1 "kubevirt.io/api/core/v1"
	"kubevirt.io/api/instancetype"
	instancetypev1beta1 "kubevirt.io/api/instancetype/v1beta1"
	"sigs.k8s.io/yaml"
)

func main() {
	validations := flag.String("validations", "", "path to KubeVirt's validations_generated.go")
	source := flag.String("source", "", "module@version the validations file comes from, recorded in the output header")
	out := flag.String("out", "test/crds", "directory to write the CRD YAML files into")
	flag.Parse()
	if err := run(*validations, *source, *out); err != nil {
		fmt.Fprintf(os.Stderr, "crdgen: %v\n", err)
		os.Exit(1)
	}
}

func run(validations, source, out string) error {
	if validations == "" {
		return errors.New("--validations is required: the path to validations_generated.go in kubevirt.io/kubevirt")
	}
	schemas, err := readValidations(validations)
	if err != nil {
		return err
	}
	crds, err := buildCRDs(schemas)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	for _, crd := range crds {
		data, err := encode(crd, source)
		if err != nil {
			return err
		}
		name := filepath.Join(out, crd.Spec.Group+"_"+crd.Spec.Names.Plural+".yaml")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// readValidations returns the CRDsValidation map literal of a
// validations_generated.go file: singular resource name to the YAML of a
// CustomResourceValidation.
func readValidations(path string) (map[string]string, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.VAR {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if name.Name != "CRDsValidation" || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.CompositeLit)
				if !ok {
					return nil, fmt.Errorf("%s: CRDsValidation is not a map literal", path)
				}
				return mapLiteral(lit)
			}
		}
	}
	return nil, fmt.Errorf("%s: no CRDsValidation variable", path)
}

func mapLiteral(lit *ast.CompositeLit) (map[string]string, error) {
	m := make(map[string]string, len(lit.Elts))
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil, errors.New("CRDsValidation has an element that is not key: value")
		}
		key, err := stringLiteral(kv.Key)
		if err != nil {
			return nil, fmt.Errorf("CRDsValidation key: %w", err)
		}
		value, err := stringLiteral(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("CRDsValidation[%q]: %w", key, err)
		}
		m[key] = value
	}
	return m, nil
}

func stringLiteral(e ast.Expr) (string, error) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", fmt.Errorf("want a string literal, got %T", e)
	}
	return strconv.Unquote(lit.Value)
}

const (
	creationTimestampJSONPath = ".metadata.creationTimestamp"
	readyConditionJSONPath    = ".status.conditions[?(@.type=='Ready')].status"
)

// buildCRDs mirrors NewVirtualMachineCrd, NewVirtualMachineInstanceCrd,
// NewVirtualMachineInstanceMigrationCrd and the four instance type and preference CRD builders of KubeVirt's
// virt-operator.
func buildCRDs(schemas map[string]string) ([]*extv1.CustomResourceDefinition, error) {
	vm := newCRD(kubevirtv1.VirtualMachineGroupVersionKind.Kind, "virtualmachine", "virtualmachines", "vm", "vms")
	setVersionFields(vm, []extv1.CustomResourceColumnDefinition{
		{Name: "Age", Type: "date", JSONPath: creationTimestampJSONPath},
		{Name: "Status", Description: "Human Readable Status", Type: "string", JSONPath: ".status.printableStatus"},
		{Name: "Ready", Type: "string", JSONPath: readyConditionJSONPath},
	}, &extv1.CustomResourceSubresources{Status: &extv1.CustomResourceSubresourceStatus{}})

	vmi := newCRD(kubevirtv1.VirtualMachineInstanceGroupVersionKind.Kind, "virtualmachineinstance", "virtualmachineinstances", "vmi", "vmis")
	setVersionFields(vmi, []extv1.CustomResourceColumnDefinition{
		{Name: "Age", Type: "date", JSONPath: creationTimestampJSONPath},
		{Name: "Phase", Type: "string", JSONPath: ".status.phase"},
		{Name: "IP", Type: "string", JSONPath: ".status.interfaces[0].ipAddress"},
		{Name: "NodeName", Type: "string", JSONPath: ".status.nodeName"},
		{Name: "Ready", Type: "string", JSONPath: readyConditionJSONPath},
		{Name: "Live-Migratable", Type: "string", JSONPath: ".status.conditions[?(@.type=='LiveMigratable')].status", Priority: 1},
		{Name: "Paused", Type: "string", JSONPath: ".status.conditions[?(@.type=='Paused')].status", Priority: 1},
	}, nil)

	// Migrations have a status subresource, as in KubeVirt; virt-controller
	// writes their phase through it.
	vmim := newCRD(kubevirtv1.VirtualMachineInstanceMigrationGroupVersionKind.Kind, "virtualmachineinstancemigration", "virtualmachineinstancemigrations", "vmim", "vmims")
	setVersionFields(vmim, []extv1.CustomResourceColumnDefinition{
		{Name: "Phase", Description: "The current phase of VM instance migration", Type: "string", JSONPath: ".status.phase"},
		{Name: "VMI", Description: "The name of the VMI to perform the migration on", Type: "string", JSONPath: ".spec.vmiName"},
	}, &extv1.CustomResourceSubresources{Status: &extv1.CustomResourceSubresourceStatus{}})

	crds := []*extv1.CustomResourceDefinition{vm, vmi, vmim,
		newInstancetypeCRD("VirtualMachineInstancetype", instancetype.SingularResourceName, extv1.NamespaceScoped, "vminstancetype", "vminstancetypes", "vmf", "vmfs"),
		newInstancetypeCRD("VirtualMachineClusterInstancetype", instancetype.ClusterSingularResourceName, extv1.ClusterScoped, "vmclusterinstancetype", "vmclusterinstancetypes", "vmcf", "vmcfs"),
		newInstancetypeCRD("VirtualMachinePreference", instancetype.SingularPreferenceResourceName, extv1.NamespaceScoped, "vmpref", "vmprefs", "vmp", "vmps"),
		newInstancetypeCRD("VirtualMachineClusterPreference", instancetype.ClusterSingularPreferenceResourceName, extv1.ClusterScoped, "vmcp", "vmcps"),
	}
	for _, crd := range crds {
		raw, ok := schemas[crd.Spec.Names.Singular]
		if !ok {
			return nil, fmt.Errorf("CRDsValidation has no schema for %q", crd.Spec.Names.Singular)
		}
		var validation extv1.CustomResourceValidation
		if err := yaml.UnmarshalStrict([]byte(raw), &validation); err != nil {
			return nil, fmt.Errorf("decoding schema of %s: %w", crd.Spec.Names.Singular, err)
		}
		if validation.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("schema of %s has no openAPIV3Schema", crd.Spec.Names.Singular)
		}
		for i := range crd.Spec.Versions {
			crd.Spec.Versions[i].Schema = validation.DeepCopy()
		}
	}
	return crds, nil
}

func newCRD(kind, singular, plural string, shortNames ...string) *extv1.CustomResourceDefinition {
	group := kubevirtv1.VirtualMachineGroupVersionKind.Group
	versions := make([]extv1.CustomResourceDefinitionVersion, len(kubevirtv1.ApiSupportedVersions))
	for i := range kubevirtv1.ApiSupportedVersions {
		kubevirtv1.ApiSupportedVersions[i].DeepCopyInto(&versions[i])
	}
	return crd(extv1.CustomResourceDefinitionSpec{
		Group:    group,
		Versions: versions,
		Scope:    extv1.NamespaceScoped,
		Names: extv1.CustomResourceDefinitionNames{
			Plural:     plural,
			Singular:   singular,
			Kind:       kind,
			ShortNames: shortNames,
			Categories: []string{"all"},
		},
	})
}

// crd wraps spec as KubeVirt's operator does: named plural.group and
// labelled as KubeVirt's.
func crd(spec extv1.CustomResourceDefinitionSpec) *extv1.CustomResourceDefinition {
	return &extv1.CustomResourceDefinition{
		TypeMeta: metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   spec.Names.Plural + "." + spec.Group,
			Labels: map[string]string{kubevirtv1.AppLabel: ""},
		},
		Spec: spec,
	}
}

// newInstancetypeCRD is an instancetype.kubevirt.io CRD as KubeVirt builds
// it: the one version v1beta1, no conversion, and the "all" category for the
// namespaced kinds only.
func newInstancetypeCRD(kind, singular string, scope extv1.ResourceScope, shortNames ...string) *extv1.CustomResourceDefinition {
	group, plural := instancetypev1beta1.SchemeGroupVersion.Group, singular+"s"
	names := extv1.CustomResourceDefinitionNames{Plural: plural, Singular: singular, Kind: kind, ShortNames: shortNames}
	if scope == extv1.NamespaceScoped {
		names.Categories = []string{"all"}
	}
	return crd(extv1.CustomResourceDefinitionSpec{
		Group:      group,
		Names:      names,
		Scope:      scope,
		Conversion: &extv1.CustomResourceConversion{Strategy: extv1.NoneConverter},
		Versions: []extv1.CustomResourceDefinitionVersion{{
			Name: instancetypev1beta1.SchemeGroupVersion.Version, Served: true, Storage: true,
		}},
	})
}

func setVersionFields(crd *extv1.CustomResourceDefinition, columns []extv1.CustomResourceColumnDefinition, sub *extv1.CustomResourceSubresources) {
	for i := range crd.Spec.Versions {
		crd.Spec.Versions[i].AdditionalPrinterColumns = columns
		crd.Spec.Versions[i].Subresources = sub
	}
}

// encode renders a CRD as YAML without the empty status and creation
// timestamp that the Go types always carry.
func encode(crd *extv1.CustomResourceDefinition, source string) ([]byte, error) {
	raw, err := json.Marshal(crd)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", crd.Name, err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", crd.Name, err)
	}
	delete(obj, "status")
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	data, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", crd.Name, err)
	}
	header := "# Code generated by hack/gen-crds.sh (hack/crdgen); DO NOT EDIT.\n"
	if source != "" {
		header += "# Schema source: " + source + " pkg/virt-operator/resource/generate/components/validations_generated.go\n"
	}
	return append([]byte(header+"---\n"), data...), nil
}
