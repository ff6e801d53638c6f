// Command golden-image is the Go half of make golden-image (the disk itself
// is built by hack/build-golden-image.sh):
//
//   - "packages GUEST" prints, one a line, what a golden image of that guest
//     family preinstalls, from the built-in workloads' own lists
//     (workloads.GoldenPackages), so the image and the workloads cannot
//     drift;
//   - "pack" writes a qcow2 disk as a KubeVirt containerDisk in an OCI
//     archive, with go-containerregistry and no container engine, and
//     prints the archive's path.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/labels"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

const usage = `usage:
  golden-image packages GUEST
      print the packages a golden image of GUEST preinstalls
  golden-image pack -disk DISK.qcow2 -out ARCHIVE.tar [-guest debian] [-name NAME] [-ref REPOSITORY:TAG]
      write DISK as a containerDisk (/disk/NAME.qcow2, 107:107) in an OCI archive`

// errUsage is a command line that asks for nothing this program does.
var errUsage = errors.New(usage)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "golden-image:", err)
		os.Exit(2)
	}
}

func run(args []string, out, errOut io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "packages":
		if len(args) != 2 {
			return errUsage
		}
		g, err := workloads.ParseGuest(args[1])
		if err != nil {
			return fmt.Errorf("GUEST %w", err)
		}
		pkgs, err := workloads.GoldenPackages(workloads.Builtin(), g)
		if err != nil {
			return err
		}
		for _, p := range pkgs {
			fmt.Fprintln(out, p)
		}
		return nil
	case "pack":
		return runPack(args[1:], out, errOut)
	}
	return fmt.Errorf("unknown command %q\n%w", args[0], errUsage)
}

func runPack(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("pack", flag.ContinueOnError)
	fs.SetOutput(errOut)
	var s packSpec
	fs.StringVar(&s.disk, "disk", "", "qcow2 disk to pack (hack/build-golden-image.sh's disk.qcow2)")
	fs.StringVar(&s.out, "out", "", "OCI archive to write")
	guest := fs.String("guest", "debian", "guest family of the disk: its packages go into the image's labels")
	fs.StringVar(&s.name, "name", "", "the layer holds /disk/NAME.qcow2 (default: the guest family)")
	fs.StringVar(&s.ref, "ref", "", "image reference recorded in the archive (default: virtwork/golden-GUEST:latest)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if s.disk == "" || s.out == "" || fs.NArg() > 0 {
		return fmt.Errorf("pack needs -disk and -out and takes no arguments\n%w", errUsage)
	}
	g, err := workloads.ParseGuest(*guest)
	if err != nil {
		return fmt.Errorf("-guest %w", err)
	}
	if s.name == "" {
		s.name = string(g)
	}
	if s.ref == "" {
		s.ref = "virtwork/golden-" + string(g) + ":latest"
	}
	s.labels, err = imageLabels(g)
	if err != nil {
		return err
	}
	if err := pack(s); err != nil {
		return err
	}
	fmt.Fprintln(out, s.out)
	return nil
}

// imageLabels are the golden image's config labels; docs/golden-image.md
// lists them.
func imageLabels(g workloads.Guest) (map[string]string, error) {
	pkgs, err := workloads.GoldenPackages(workloads.Builtin(), g)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		labels.Preinstalled:        "true",
		labels.Prefix + "guest":    string(g),
		labels.Prefix + "packages": strings.Join(pkgs, " "),
	}, nil
}
