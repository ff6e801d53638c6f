package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// TestBootSource: each scheme resolves to its source and guest family, and
// a malformed one names the flag and the forms it takes.
func TestBootSource(t *testing.T) {
	cases := []struct {
		name  string
		i     in
		boot  BootSource
		guest workloads.Guest
		image string
		err   string
	}{
		{"default is the image", in{}, BootSource{Kind: BootContainerDisk, Image: DefaultImage}, workloads.Fedora, DefaultImage, ""},
		{"containerdisk", in{args: []string{"--boot-source", "containerdisk:quay.io/containerdisks/debian:12"}},
			BootSource{Kind: BootContainerDisk, Image: "quay.io/containerdisks/debian:12"}, workloads.Debian, "quay.io/containerdisks/debian:12", ""},
		{"golden fedora", in{args: []string{"--boot-source", "datasource:openshift-virtualization-os-images/fedora"}},
			BootSource{Kind: BootDataSource, Namespace: "openshift-virtualization-os-images", Name: "fedora"}, workloads.Fedora, "", ""},
		{"golden centos", in{env: map[string]string{"VIRTWORK_BOOT_SOURCE": "datasource:openshift-virtualization-os-images/centos-stream10"}},
			BootSource{Kind: BootDataSource, Namespace: "openshift-virtualization-os-images", Name: "centos-stream10"}, workloads.CentOSStream, "", ""},
		{"golden rhel from the file", in{args: []string{"--config", "c.yaml"}, files: map[string]string{"c.yaml": "boot_source: datasource:os/rhel9\n"}},
			BootSource{Kind: BootDataSource, Namespace: "os", Name: "rhel9"}, workloads.RHEL, "", ""},
		{"unknown datasource, guest given", in{args: []string{"--boot-source", "datasource:os/mine", "--guest", "ubuntu"}},
			BootSource{Kind: BootDataSource, Namespace: "os", Name: "mine"}, workloads.Ubuntu, "", ""},
		{"pvc", in{args: []string{"--boot-source", "pvc:golden/debian-12"}},
			BootSource{Kind: BootPVC, Namespace: "golden", Name: "debian-12"}, workloads.Fedora, "", ""},
		{"registry", in{args: []string{"--boot-source", "registry:docker://quay.io/containerdisks/ubuntu:24.04"}},
			BootSource{Kind: BootRegistry, Image: "quay.io/containerdisks/ubuntu:24.04"}, workloads.Ubuntu, "", ""},
		{"bare url", in{args: []string{"--boot-source", "https://mirror.example.com/f.qcow2", "--guest", "debian"}},
			BootSource{Kind: BootHTTP, URL: "https://mirror.example.com/f.qcow2"}, workloads.Debian, "", ""},
		{"http", in{args: []string{"--boot-source", "http:http://10.0.0.1/d.img"}},
			BootSource{Kind: BootHTTP, URL: "http://10.0.0.1/d.img"}, workloads.Fedora, "", ""},
		{"unknown scheme", in{args: []string{"--boot-source", "s3:bucket/disk"}}, BootSource{}, "", "", `--boot-source: unknown scheme "s3"; use containerdisk:IMAGE`},
		{"no scheme", in{args: []string{"--boot-source", "fedora"}}, BootSource{}, "", "", `--boot-source must be one of containerdisk:IMAGE`},
		{"missing namespace", in{args: []string{"--boot-source", "datasource:fedora"}}, BootSource{}, "", "", `--boot-source datasource: needs a namespace, as datasource:NAMESPACE/NAME`},
		{"bad name", in{args: []string{"--boot-source", "pvc:ns/Disk_1"}}, BootSource{}, "", "", `"Disk_1" is not an object name`},
		{"bad url", in{args: []string{"--boot-source", "http:ftp://host/d.img"}}, BootSource{}, "", "", `--boot-source http: must be an http:// or https:// URL`},
		{"bad image", in{args: []string{"--boot-source", "registry:Quay.io/x"}}, BootSource{}, "", "", `--boot-source registry: must be an image reference`},
		{"with --image", in{args: []string{"--boot-source", "datasource:os/fedora", "--image", "quay.io/containerdisks/fedora:44"}}, BootSource{}, "", "",
			"--image and --boot-source both choose the root disk; keep one"},
		{"guest contradicts the datasource", in{args: []string{"--boot-source", "datasource:os/fedora", "--guest", "debian"}}, BootSource{}, "", "",
			"--guest is debian, but the DataSource fedora is a fedora image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := load(t, c.i)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("got %v, want an ErrInvalid containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Boot != c.boot || cfg.Guest != c.guest || cfg.Image != c.image {
				t.Errorf("boot %+v guest %s image %q, want %+v %s %q", cfg.Boot, cfg.Guest, cfg.Image, c.boot, c.guest, c.image)
			}
		})
	}
}

// TestRootDiskSize: the size of a cloned root disk is per workload; a size
// too small, or one given for a containerDisk, is refused.
func TestRootDiskSize(t *testing.T) {
	c := mustLoad(t, in{args: []string{"--workloads", "cpu,disk", "--boot-source", "pvc:golden/fedora", "--config", "c.yaml"},
		files: map[string]string{"c.yaml": "root_disk_size: 20Gi\nworkloads:\n  disk:\n    root_disk_size: 50Gi\n"}})
	got := map[string]string{}
	for _, w := range c.Workloads {
		got[w.Name] = w.RootDiskSize.String()
	}
	if got["cpu"] != "20Gi" || got["disk"] != "50Gi" {
		t.Errorf("root disk sizes %v, want cpu 20Gi and disk 50Gi", got)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--boot-source", "pvc:golden/fedora", "--root-disk-size", "1Gi"}, "--root-disk-size must be between 2Gi and 64Ti, got 1Gi"},
		{[]string{"--root-disk-size", "40Gi"}, "--root-disk-size sizes a cloned or imported root disk, but the VMs boot the containerDisk quay.io/containerdisks/fedora:44; drop --root-disk-size"},
	} {
		_, err := load(t, in{args: bad.args})
		if err == nil || !strings.Contains(err.Error(), bad.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: got %v, want an ErrInvalid containing %q", bad.args, err, bad.want)
		}
	}
}
