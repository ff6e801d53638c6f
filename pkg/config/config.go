package config

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Config is the validated configuration of one run.
type Config struct {
	// RunID is a lowercase UUID; every object of the run carries it.
	RunID     string
	Namespace string
	// Namespaces are the namespaces the run's instances are spread over,
	// round-robin: Namespace alone, or --namespaces of them (tenants.go).
	Namespaces []string
	// Image is the containerDisk image when Boot is a containerDisk, ""
	// otherwise.
	Image string
	// Boot is the root disk's source; Boot.Image is Image for a
	// containerDisk.
	Boot BootSource
	// Guest is the OS family of the root disk: it decides package names.
	Guest workloads.Guest
	// Timeout bounds how long apply waits for VMs to become ready.
	Timeout time.Duration
	// Thresholds fail a run whose latencies exceed them (--threshold).
	Thresholds []Threshold
	SSH        SSH
	Workloads  []Workload
	// Registry holds every workload the run can name: the built-in ones
	// Load was given plus those of the custom workload directories.
	Registry *workloads.Registry
}

// Workload is one selected workload with its resolved settings.
type Workload struct {
	Name    string
	VMCount int
	// CPUCores and Memory size each VM; both are zero when Instancetype
	// names the instance type that sizes it instead.
	CPUCores int
	Memory   resource.Quantity
	// Instancetype and Preference are the KubeVirt instance type and
	// preference of each VM; the zero Sizing for none.
	Instancetype, Preference Sizing
	DiskSize                 resource.Quantity
	// RootDiskSize is the size of a cloned or imported root disk (unused
	// for a containerDisk).
	RootDiskSize resource.Quantity
	// StorageClass is empty for the cluster's default class.
	StorageClass string
	// Preinstalled: the root disk carries the workload's packages, so its
	// user-data installs none.
	Preinstalled bool
	// Placement is where the workload's VMs may run.
	Placement Placement
	Params    workloads.Values
	// Profile is the load shape of a workload that declares a level, set
	// when a profile, --start-at or --duration was given (a constant one
	// at the workload's level for a timing alone); nil otherwise, and the
	// workload runs as it always did.
	Profile *profile.Profile
	// Timing is --start-at and --duration; the zero Timing starts at boot
	// and never ends.
	Timing profile.Timing
}

// Settings lists the workload's settings by flag name ("vm-count": "3",
// "memory": "2Gi"): one entry per row of pkg/config that places a value in
// a Workload, leaving out a value that is empty (a storage class left to
// the cluster). Params are not among them. The audit history records them.
func (w Workload) Settings() map[string]string {
	out := map[string]string{}
	for _, r := range rows {
		if v := r.workloadText(&w); v != "" {
			out[r.info().flag] = v
		}
	}
	return out
}

// SSH is the optional login the guests get.
type SSH struct {
	// User, when set, is created with the keys and password below.
	// Without it, keys go to the image's default user.
	User           string
	AuthorizedKeys []string
	// PasswordHash is a SHA-512 crypt hash; the plaintext is never kept.
	PasswordHash string
}

// Enabled reports whether any SSH access was asked for.
func (s SSH) Enabled() bool {
	return s.User != "" || len(s.AuthorizedKeys) > 0 || s.PasswordHash != ""
}

// Defaults and limits.
const (
	DefaultNamespace = "virtwork"
	DefaultImage     = "quay.io/containerdisks/fedora:44"
	DefaultVMCount   = 1
	DefaultCPUCores  = 2
	DefaultMemory    = "2Gi"
	DefaultDiskSize  = "10Gi"
	// DefaultRootDiskSize is what OpenShift's templates give a VM cloned
	// from a golden image.
	DefaultRootDiskSize = "30Gi"
	DefaultTimeout      = 10 * time.Minute

	MinVMCount, MaxVMCount   = 1, 10000
	MinCPUCores, MaxCPUCores = 1, 128
	MinMemory, MaxMemory     = "256Mi", "1Ti"
	MinDiskSize, MaxDiskSize = "1Gi", "64Ti"
	// MinRootDiskSize fits the smallest cloud images (Debian's is 2Gi).
	MinRootDiskSize        = "2Gi"
	MinTimeout, MaxTimeout = 10 * time.Second, 24 * time.Hour
)

// ErrInvalid marks every error caused by what the user gave (a flag, an
// environment variable, the config file or a file it names); commands map it
// to exit code 2.
var ErrInvalid = errors.New("invalid input")

// invalidError is a one-line user error.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// invalid marks err, a message about what the user gave, as ErrInvalid.
func invalid(err error) error {
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return &invalidError{msg: err.Error()}
}
