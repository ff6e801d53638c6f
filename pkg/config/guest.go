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

// resolveGuest sets the boot source (--boot-source, or --image as its
// short form) and the guest family: as given, or inferred from a
// well-known image repository or DataSource name, or the default; and
// --guest alone picks that family's image. A family that contradicts a
// well-known source is an error: the packages would not install.
func (r *resolver) resolveGuest(c *Config) error {
	boot, given, err := r.bootSource()
	if err != nil {
		return err
	}
	inferred, known := guestForBoot(boot)
	if !given {
		known = false // the default image gives way to --guest
	}
	g, ok := pick(r, guestRow, "")
	switch {
	case !ok && known:
		c.Guest = inferred
	case !ok:
		c.Guest = workloads.DefaultGuest
	case known && g.v != inferred && boot.Kind == BootDataSource:
		return invalidf("%s is %s, but the DataSource %s is a %s image; drop %s or clone a %s DataSource", g.src, g.v, boot.Name, inferred, g.src, g.v)
	case known && g.v != inferred:
		return invalidf("%s is %s, but the image %s is a %s image; drop %s or use a %s image", g.src, g.v, boot.Image, inferred, g.src, g.v)
	default:
		c.Guest = g.v
	}
	if !given {
		img, ok := guestImages[c.Guest]
		if !ok {
			return invalidf("%s is %s, which has no public containerDisk; give --boot-source datasource:NAMESPACE/NAME (openshift-virtualization-os-images/rhel9 on OpenShift) or --image with a %s containerDisk", g.src, g.v, g.v)
		}
		boot = BootSource{Kind: BootContainerDisk, Image: img}
	}
	c.Boot, c.Image = boot, ""
	if boot.Kind == BootContainerDisk {
		c.Image = boot.Image
	}
	r.boot = boot
	return nil
}

// bootSource returns the boot source given by --boot-source or --image,
// and whether either was given; both is an error.
func (r *resolver) bootSource() (BootSource, bool, error) {
	b, bootGiven := pick(r, bootSourceRow, "")
	img, imageGiven := pick(r, imageRow, "")
	switch {
	case bootGiven && imageGiven:
		return BootSource{}, false, invalidf("%s and %s both choose the root disk; keep one (%s IMAGE is short for %s containerdisk:IMAGE)", img.src, b.src, img.src, b.src)
	case bootGiven:
		return b.v, true, nil
	case imageGiven:
		return BootSource{Kind: BootContainerDisk, Image: img.v}, true, nil
	}
	return BootSource{Kind: BootContainerDisk, Image: DefaultImage}, false, nil
}

// guestForBoot is the family of a well-known boot source.
func guestForBoot(b BootSource) (workloads.Guest, bool) {
	switch b.Kind {
	case BootContainerDisk, BootRegistry:
		return workloads.GuestForImage(b.Image)
	case BootDataSource:
		return workloads.GuestForDataSource(b.Name)
	}
	return "", false
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
		} else if v, ok := pick(r, bootSourceRow, ""); ok {
			src = v.src
		}
		return invalidf("%s: %v; choose another guest family or leave %s out", src, err, name)
	}
	return nil
}
