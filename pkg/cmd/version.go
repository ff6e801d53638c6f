package cmd

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/virtwork/kubectl-virtwork/pkg/version"
)

// printJSON writes v as indented JSON, the way every -o json here looks.
func printJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// NewVersionCmd prints the plugin's version.
func NewVersionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl-virtwork",
		RunE: func(c *cobra.Command, _ []string) error {
			v := version.Get()
			switch output {
			case "":
				fmt.Fprintf(streams.Out, "kubectl-virtwork %s (commit %s, built %s, %s, %s)\n", v.Version, v.Commit, v.Date, v.GoVersion, v.Platform)
			case "json":
				return printJSON(streams.Out, v)
			default:
				return invalidOutput(output, "json")
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: json")
	return c
}
