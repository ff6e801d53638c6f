package main
import (
 _ "github.com/spf13/cobra"
 _ "k8s.io/cli-runtime/pkg/genericclioptions"
 _ "k8s.io/client-go/dynamic"
 _ "k8s.io/kubectl/pkg/cmd/util"
 _ "kubevirt.io/api/core/v1"
 _ "kubevirt.io/containerized-data-importer-api/pkg/apis/core/v1beta1"
 _ "sigs.k8s.io/kustomize/api/krusty"
 _ "sigs.k8s.io/kustomize/api/types"
 _ "sigs.k8s.io/yaml"
 _ "github.com/google/uuid"
 _ "github.com/google/go-cmp/cmp"
 _ "go.yaml.in/yaml/v3"
 _ "golang.org/x/crypto/ssh"
)
func main(){}
