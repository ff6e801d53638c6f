package workloads

import (
	"fmt"
	"slices"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
)

// Guest is the OS family of the guest image. Units and scripts are the same
// for every family (they detect at run time what differs, such as how a
// PostgreSQL cluster is created); the family decides the package names.
type Guest string

// The guest families.
const (
	Fedora       Guest = "fedora"
	CentOSStream Guest = "centos-stream"
	Ubuntu       Guest = "ubuntu"
	Debian       Guest = "debian"
	// RHEL guests install packages only with a subscription (or boot a
	// golden image that has them); the names are CentOS Stream's.
	RHEL Guest = "rhel"
)

// DefaultGuest is the family of the default image.
const DefaultGuest = Fedora

// Guests lists the families, default first.
func Guests() []Guest { return []Guest{Fedora, CentOSStream, Ubuntu, Debian, RHEL} }

// ParseGuest checks a family name.
func ParseGuest(s string) (Guest, error) {
	if g := Guest(s); slices.Contains(Guests(), g) {
		return g, nil
	}
	names := make([]string, 0, len(Guests()))
	for _, g := range Guests() {
		names = append(names, string(g))
	}
	return "", fmt.Errorf("must be one of %s, got %q%s", strings.Join(names, ", "), s, suggest.DidYouMean(s, names))
}

// knownImages maps well-known containerDisk repositories to their family.
var knownImages = map[string]Guest{
	"quay.io/containerdisks/fedora":                     Fedora,
	"quay.io/containerdisks/centos-stream":              CentOSStream,
	"quay.io/containerdisks/ubuntu":                     Ubuntu,
	"quay.io/containerdisks/debian":                     Debian,
	"quay.io/kubevirt/fedora-cloud-container-disk-demo": Fedora,
}

// GuestForImage returns the family of a well-known image repository
// (whatever its tag or digest), and false for any other image.
func GuestForImage(image string) (Guest, bool) {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	g, ok := knownImages[repo]
	return g, ok
}

// knownDataSources maps the names of well-known CDI DataSources (the
// golden images OpenShift Virtualization keeps in
// openshift-virtualization-os-images) to their family.
var knownDataSources = map[string]Guest{
	"fedora":          Fedora,
	"centos-stream9":  CentOSStream,
	"centos-stream10": CentOSStream,
	"rhel8":           RHEL,
	"rhel9":           RHEL,
	"rhel10":          RHEL,
}

// GuestForDataSource returns the family of a well-known DataSource name
// (whatever its namespace), and false for any other.
func GuestForDataSource(name string) (Guest, bool) {
	g, ok := knownDataSources[name]
	return g, ok
}

// GuestAgent is the package, and the service, that lets KubeVirt run a VM's
// readiness probe inside the guest. Every workload installs it.
const GuestAgent = "qemu-guest-agent"

// packageNames maps the Fedora package names that workloads declare to
// other families' names; a family not listed uses the same name.
var packageNames = map[string]map[Guest][]string{
	// Debian and Ubuntu ship the server as "postgresql" (it brings
	// pgbench); postgresql-contrib exists there too.
	"postgresql-server": {Debian: {"postgresql"}, Ubuntu: {"postgresql"}},
	// tc is part of iproute2.
	"iproute-tc": {Debian: {"iproute2"}, Ubuntu: {"iproute2"}},
	"procps-ng":  {Debian: {"procps"}, Ubuntu: {"procps"}},
}

// unavailable lists packages a family's default repositories lack.
var unavailable = map[string]map[Guest]string{
	"netperf": {
		Debian:       "netperf is only in Debian's non-free archive, which Debian cloud images do not enable",
		CentOSStream: "netperf is only in EPEL, which CentOS Stream images do not enable",
		RHEL:         "netperf is only in EPEL, which RHEL images do not enable",
	},
}

// Packages maps Fedora package names to the family's. A package the
// family's default repositories lack is an error that says so.
func (g Guest) Packages(fedora []string) ([]string, error) {
	var out []string
	for _, p := range fedora {
		if why, ok := unavailable[p][g]; ok {
			return nil, fmt.Errorf("%s", why)
		}
		names, ok := packageNames[p][g]
		if !ok {
			names = []string{p}
		}
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

// guestPackager is implemented by workloads that name their packages per
// family themselves (custom workloads with a packages mapping).
type guestPackager interface {
	PackagesFor(g Guest) ([]string, error)
}

// PackagesFor returns what w installs on a guest of family g, the guest
// agent included, or why w cannot run there.
func PackagesFor(w Workload, g Guest) ([]string, error) {
	var pkgs []string
	var err error
	if gp, ok := w.(guestPackager); ok {
		pkgs, err = gp.PackagesFor(g)
	} else {
		pkgs, err = g.Packages(w.Spec().Packages)
	}
	if err != nil {
		return nil, fmt.Errorf("workload %s cannot run on a %s guest: %w", w.Spec().Name, g, err)
	}
	if !slices.Contains(pkgs, GuestAgent) {
		pkgs = append(slices.Clip(pkgs), GuestAgent)
	}
	return pkgs, nil
}

// CloudConfigFor is w's cloud-init for one VM on a guest of family
// in.Guest: the workload's files and units, that family's package names, and
// the guest agent started so that KubeVirt can probe the workload's unit.
func CloudConfigFor(w Workload, in Instance) (CloudConfig, error) {
	g := in.Guest
	if g == "" {
		g = DefaultGuest
	}
	cc, err := w.CloudConfig(in)
	if err != nil {
		return CloudConfig{}, err
	}
	if cc.Packages, err = PackagesFor(w, g); err != nil {
		return CloudConfig{}, err
	}
	if in.Preinstalled {
		// No packages key: cloud-init's package module then neither
		// installs nor refreshes anything, so no mirror is asked.
		cc.Packages = nil
	}
	// The agent's unit is started by udev when KubeVirt's channel
	// appears; starting it here covers a channel that appeared before the
	// package was installed. --no-block: runcmd must never wait on units.
	start := []string{"systemctl", "start", "--no-block", GuestAgent + ".service"}
	cc.RunCmd = append([][]string{start}, cc.RunCmd...)
	return cc, nil
}
