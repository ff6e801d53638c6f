package config

import (
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// BootKind says where a VM's root disk comes from.
type BootKind string

// The boot source schemes of --boot-source.
const (
	// BootContainerDisk boots an ephemeral containerDisk (--image).
	BootContainerDisk BootKind = "containerdisk"
	// BootDataSource clones a CDI DataSource per VM.
	BootDataSource BootKind = "datasource"
	// BootPVC clones an existing PVC per VM.
	BootPVC BootKind = "pvc"
	// BootRegistry and BootHTTP import a disk image into a new DataVolume.
	BootRegistry BootKind = "registry"
	BootHTTP     BootKind = "http"
)

// BootSource is the root disk of every VM of the run.
type BootSource struct {
	Kind BootKind
	// Image is the containerDisk or registry image (without docker://).
	Image string
	// Namespace and Name name the DataSource or PVC to clone.
	Namespace, Name string
	// URL is the http(s) address of the disk image to import.
	URL string
}

// Cloned reports whether the root disk is a DataVolume (cloned or
// imported) rather than a containerDisk.
func (b BootSource) Cloned() bool { return b.Kind != "" && b.Kind != BootContainerDisk }

// String is the source as --boot-source takes it.
func (b BootSource) String() string {
	switch b.Kind {
	case BootDataSource, BootPVC:
		return string(b.Kind) + ":" + b.Namespace + "/" + b.Name
	case BootHTTP:
		return string(b.Kind) + ":" + b.URL
	case "":
		return ""
	}
	return string(b.Kind) + ":" + b.Image
}

const bootSourceForms = "containerdisk:IMAGE, datasource:NAMESPACE/NAME, pvc:NAMESPACE/NAME, registry:IMAGE or http:URL"

// parseBootSource checks a --boot-source value. A bare http(s) URL is taken
// as http:URL.
func parseBootSource(v, src string) (BootSource, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		v = "http:" + v
	}
	scheme, rest, ok := strings.Cut(v, ":")
	if !ok || rest == "" {
		return BootSource{}, invalidf("%s must be one of %s, got %q", src, bootSourceForms, v)
	}
	b := BootSource{Kind: BootKind(scheme)}
	switch b.Kind {
	case BootContainerDisk, BootRegistry:
		img, err := parseImage(strings.TrimPrefix(rest, "docker://"), src+" "+scheme+":")
		b.Image = img
		return b, err
	case BootDataSource, BootPVC:
		ns, name, ok := strings.Cut(rest, "/")
		if !ok || ns == "" {
			return b, invalidf("%s %s: needs a namespace, as %s:NAMESPACE/NAME, got %q", src, scheme, scheme, v)
		}
		if len(validation.IsDNS1123Label(ns)) > 0 {
			return b, invalidf("%s %s: %q is not a namespace name (lowercase letters, digits and '-')", src, scheme, ns)
		}
		if len(validation.IsDNS1123Subdomain(name)) > 0 {
			return b, invalidf("%s %s: %q is not an object name (lowercase letters, digits, '-' and '.')", src, scheme, name)
		}
		b.Namespace, b.Name = ns, name
		return b, nil
	case BootHTTP:
		u, err := url.Parse(rest)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return b, invalidf("%s http: must be an http:// or https:// URL of a disk image, got %q", src, rest)
		}
		b.URL = rest
		return b, nil
	}
	return b, invalidf("%s: unknown scheme %q; use %s", src, scheme, bootSourceForms)
}

// RootDisk names the VMs' root disk for summaries and the history: the
// containerDisk image, or the boot source as --boot-source takes it.
func (c *Config) RootDisk() string {
	if c.Boot.Cloned() {
		return c.Boot.String()
	}
	return c.Image
}
