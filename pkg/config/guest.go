package config

import "github.com/virtwork/kubectl-virtwork/pkg/workloads"

// guestImages is the image each guest family gets when --guest is given
// without --image: the containerdisks project's current release of each.
var guestImages = map[workloads.Guest]string{
	workloads.Fedora:       DefaultImage,
	workloads.CentOSStream: "quay.io/containerdisks/centos-stream:9",
	workloads.Ubuntu:       "quay.io/containerdisks/ubuntu:24.04",
	workloads.Debian:       "quay.io/containerdisks/debian:12",
}

// resolveGuest sets the guest family: as given, or inferred from a
// well-known image repository, or the default; and --guest alone picks
// that family's image. A family that contradicts a well-known image is an
// error: the packages would not install.
func (r *resolver) resolveGuest(c *Config) error {
	inferred, known := workloads.GuestForImage(c.Image)
	_, imageGiven := pick(r, imageRow, "")
	if !imageGiven {
		known = false // the default image gives way to --guest
	}
	g, ok := pick(r, guestRow, "")
	switch {
	case !ok && known:
		c.Guest = inferred
	case !ok:
		c.Guest = workloads.DefaultGuest
	case known && g.v != inferred:
		return invalidf("%s is %s, but the image %s is a %s image; drop %s or use a %s image", g.src, g.v, c.Image, inferred, g.src, g.v)
	default:
		c.Guest = g.v
	}
	if !imageGiven {
		c.Image = guestImages[c.Guest]
	}
	return nil
}

// checkGuest reports a workload whose packages the guest family lacks.
func (r *resolver) checkGuest(name string, g workloads.Guest) error {
	w, _ := r.reg.Get(name)
	if _, err := workloads.PackagesFor(w, g); err != nil {
		src := "the guest family"
		if v, ok := pick(r, guestRow, ""); ok {
			src = v.src
		} else if v, ok := pick(r, imageRow, ""); ok {
			src = v.src
		}
		return invalidf("%s: %v; choose another guest family or leave %s out", src, err, name)
	}
	return nil
}
