package workloads

import (
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// packages reads one list of package names, or a mapping of guest family
// to such lists (families left out cannot run the workload).
func (l *loader) packages(v yamlfile.Node) error {
	if !v.IsMapping() {
		pkgs, err := packageList(v)
		l.d.spec.Packages = pkgs
		return err
	}
	l.d.packagesByGuest = map[Guest][]string{}
	var known []string
	for _, g := range Guests() {
		known = append(known, string(g))
	}
	return v.Mapping(known, func(k string, v yamlfile.Node) error {
		pkgs, err := packageList(v)
		l.d.packagesByGuest[Guest(k)] = pkgs
		return err
	})
}

func packageList(n yamlfile.Node) ([]string, error) {
	var out []string
	err := n.List(func(_ int, v yamlfile.Node) error {
		pkg, err := v.String()
		if err != nil {
			return err
		}
		if !packageName.MatchString(pkg) {
			return v.Errorf("%q is not a package name (letters, digits and + . _ -)", pkg)
		}
		out = append(out, pkg)
		return nil
	})
	return out, err
}

var roleKeys = []string{"name", "unit", "count", "data_disk", "files", "env", "also_start"}

func (l *loader) readRoles(n yamlfile.Node) error {
	if n.IsList() && (n.Len() == 0 || n.Len() > maxCustomRoles) {
		return n.Errorf("must list 1 to %d roles", maxCustomRoles)
	}
	return n.List(func(_ int, v yamlfile.Node) error { return l.readRole(v) })
}

func (l *loader) readRole(n yamlfile.Node) error {
	var r Role
	var setup roleSetup
	var rn roleNodes
	err := n.Mapping(roleKeys, func(k string, v yamlfile.Node) error {
		var err error
		switch k {
		case "name":
			var name string
			if name, err = v.String(); err != nil {
				return err
			}
			if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 || len(name) > 15 {
				return v.Errorf("%q must be a DNS-1123 label of at most 15 characters", name)
			}
			if _, dup := l.d.spec.Role(name); dup {
				return v.Errorf("role %q is declared twice", name)
			}
			r.Name = name
		case "unit":
			if r.Unit, err = v.String(); err != nil {
				return err
			}
			if !customFileName.MatchString(r.Unit) || path.Ext(r.Unit) != ".service" {
				return v.Errorf("%q must be a virtwork-*.service file of this workload", r.Unit)
			}
			rn.unit = v
		case "count":
			var c int64
			c, err = v.Int(1, maxRoleCount)
			r.Count = int(c)
		case "data_disk":
			r.DataDisk, err = l.dataDisk(v)
		case "files":
			rn.files = []yamlfile.Node{}
			err = v.List(func(_ int, item yamlfile.Node) error {
				rn.files = append(rn.files, item)
				_, err := item.String()
				return err
			})
		case "env":
			err = readEnv(v, &setup, &rn)
		case "also_start":
			err = v.List(func(_ int, item yamlfile.Node) error {
				u, err := item.String()
				setup.start, rn.start = append(setup.start, u), append(rn.start, item)
				return err
			})
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := n.Require("name", "unit"); err != nil {
		return err
	}
	l.d.spec.Roles = append(l.d.spec.Roles, r)
	l.d.roles = append(l.d.roles, setup)
	l.roles = append(l.roles, rn)
	return nil
}

func (l *loader) dataDisk(n yamlfile.Node) (*DataDisk, error) {
	d := &DataDisk{Serial: dataDiskSerial}
	err := n.Mapping([]string{"mount_point", "serial", "size"}, func(k string, v yamlfile.Node) error {
		val, err := v.String()
		if err != nil {
			return err
		}
		switch k {
		case "mount_point":
			if !mountPath.MatchString(val) || path.Clean(val) != val || slices.Contains(systemDirs, val) || strings.Contains(val, "/..") || strings.Contains(val, "/./") {
				return v.Errorf("%q must be an absolute path of plain names, not a system directory such as /, /var or /usr", val)
			}
			d.MountPoint = val
		case "serial":
			if !serialName.MatchString(val) || len(val) > maxSerial {
				return v.Errorf("%q must be 1-%d letters, digits, '-' or '_'", val, maxSerial)
			}
			d.Serial = val
		case "size":
			q, err := resource.ParseQuantity(val)
			lo, hi := resource.MustParse(minCustomDisk), resource.MustParse(maxCustomDisk)
			if err != nil || q.Cmp(lo) < 0 || q.Cmp(hi) > 0 {
				return v.Errorf("%q must be a Kubernetes quantity between %s and %s", val, minCustomDisk, maxCustomDisk)
			}
			if l.diskSize != "" && l.diskSize != q.String() {
				return v.Errorf("%q differs from another role's %s: a workload's data disks share one size (the disk-size setting)", val, l.diskSize)
			}
			l.diskSize, d.Size = q.String(), q.String()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, n.Require("mount_point")
}

// dataDiskSerial is the serial a data disk carries unless its workload
// names another.
const dataDiskSerial = "virtwork-data"

func (l *loader) readService(n yamlfile.Node) error {
	s := &l.d.spec
	svc := &Service{}
	var clients yamlfile.Node
	err := n.Mapping([]string{"role", "clients", "ports"}, func(k string, v yamlfile.Node) error {
		switch k {
		case "role":
			role, err := l.roleRef(v)
			svc.Role = role
			return err
		case "clients":
			clients = v
			return v.List(func(_ int, v yamlfile.Node) error {
				role, err := l.roleRef(v)
				svc.ClientRoles = append(svc.ClientRoles, role)
				return err
			})
		case "ports":
			if v.IsList() && v.Len() == 0 {
				return v.Errorf("must list at least one port")
			}
			return v.List(func(_ int, v yamlfile.Node) error { return readPort(svc, v) })
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := n.Require("role", "ports"); err != nil {
		return err
	}
	if slices.Contains(svc.ClientRoles, svc.Role) {
		return clients.Errorf("the Service's own role %q cannot be its client", svc.Role)
	}
	s.Service = svc
	return nil
}

// roleRef reads the name of a declared role.
func (l *loader) roleRef(v yamlfile.Node) (string, error) {
	role, err := v.String()
	if err != nil {
		return "", err
	}
	if _, ok := l.d.spec.Role(role); !ok {
		var names []string
		for _, r := range l.d.spec.Roles {
			names = append(names, r.Name)
		}
		return "", v.Errorf("no role named %q (roles: %s)", role, strings.Join(names, ", "))
	}
	return role, nil
}

func readPort(svc *Service, n yamlfile.Node) error {
	sp := ServicePort{Protocol: "TCP"}
	err := n.Mapping([]string{"name", "port", "protocol"}, func(k string, v yamlfile.Node) error {
		switch k {
		case "name":
			name, err := v.String()
			if err != nil {
				return err
			}
			if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
				return v.Errorf("%q is not a port name: %s", name, msgs[0])
			}
			sp.Name = name
		case "port":
			port, err := v.Int(1, 65535)
			sp.Port = int32(port)
			return err
		case "protocol":
			proto, err := v.String()
			if err != nil {
				return err
			}
			if proto != "TCP" && proto != "UDP" {
				return v.Errorf("must be TCP or UDP, got %q", proto)
			}
			sp.Protocol = proto
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := n.Require("name", "port"); err != nil {
		return err
	}
	for _, o := range svc.Ports {
		if o.Name == sp.Name || (o.Port == sp.Port && o.Protocol == sp.Protocol) {
			return n.Errorf("port %s (%d/%s) repeats another port's name or number", sp.Name, sp.Port, sp.Protocol)
		}
	}
	svc.Ports = append(svc.Ports, sp)
	return nil
}
