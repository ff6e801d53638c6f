package workloads

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

var paramKeys = []string{"name", "type", "default", "min", "max", "values", "description", "env"}

func (l *loader) readParams(n yamlfile.Node) error {
	return n.List(func(_ int, v yamlfile.Node) error { return l.readParam(v) })
}

func (l *loader) readParam(n yamlfile.Node) error {
	s := &l.d.spec
	ps := ParamSpec{}
	nodes := map[string]yamlfile.Node{}
	err := n.Mapping(paramKeys, func(k string, v yamlfile.Node) error {
		nodes[k] = v
		if k == "values" {
			return readValues(&ps, v)
		}
		val, err := v.String()
		if err != nil {
			return err
		}
		switch k {
		case "name":
			if !paramName.MatchString(val) || len(val) > 32 {
				return v.Errorf("%q must be kebab-case (lowercase letters, digits, single '-'), at most 32 characters", val)
			}
			if _, dup := s.Param(val); dup {
				return v.Errorf("param %q is declared twice", val)
			}
			ps.Name = val
		case "type":
			switch t := ParamType(val); t {
			case Int, Size, Enum, String:
				ps.Type = t
			default:
				return v.Errorf("must be int, size, enum or string, got %q", val)
			}
		case "default":
			ps.Default = val
		case "description":
			ps.Description, err = oneLine(v)
		case "env":
			ps.Env, err = l.envVar(v, val)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := n.Require("name", "type", "default"); err != nil {
		return err
	}
	if err := paramRange(&ps, n, nodes); err != nil {
		return err
	}
	if _, err := ps.Parse(ps.Default); err != nil {
		return nodes["default"].Errorf("%v", err)
	}
	s.Params = append(s.Params, ps)
	return nil
}

func readValues(ps *ParamSpec, n yamlfile.Node) error {
	return n.List(func(_ int, v yamlfile.Node) error {
		val, err := v.String()
		if err != nil {
			return err
		}
		if !safeString.MatchString(val) {
			return v.Errorf("%q must be 1-63 letters, digits, '.', '_' or '-' starting with a letter or digit", val)
		}
		if slices.Contains(ps.Allowed, val) {
			return v.Errorf("%q is listed twice", val)
		}
		ps.Allowed = append(ps.Allowed, val)
		return nil
	})
}

// envVar checks the name of an EnvironmentFile variable.
func (l *loader) envVar(v yamlfile.Node, name string) (string, error) {
	if !envName.MatchString(name) || len(name) > 64 {
		return "", v.Errorf("%q must be VIRTWORK_ followed by uppercase letters, digits and single '_' (at most 64 characters)", name)
	}
	if slices.Contains(reservedEnv, name) {
		return "", v.Errorf("%s is set by virtwork for a role's data disk; choose another name", name)
	}
	if slices.Contains(controllerEnv, name) {
		return "", v.Errorf("%s stands in for the clock or hostname of virtwork's level controller; choose another name", name)
	}
	return name, nil
}

// paramRange reads min and max (int and size params need both) and values
// (enum params need it); other combinations are errors.
func paramRange(ps *ParamSpec, item yamlfile.Node, nodes map[string]yamlfile.Node) error {
	ranged := ps.Type == Int || ps.Type == Size
	for _, k := range []string{"min", "max"} {
		n, ok := nodes[k]
		if !ok {
			if ranged {
				return item.Errorf("a %s param needs %s", ps.Type, k)
			}
			continue
		}
		if !ranged {
			return n.Errorf("only int and size params take a range")
		}
		var v int64
		var err error
		if ps.Type == Int {
			v, err = strconv.ParseInt(n.Value(), 10, 64)
		} else {
			v, err = ParseSize(n.Value())
		}
		if err != nil {
			return n.Errorf("%q is not a %s", n.Value(), ps.Type)
		}
		if k == "min" {
			ps.Min = v
		} else {
			ps.Max = v
		}
	}
	if ranged && ps.Min > ps.Max {
		return nodes["max"].Errorf("is below min")
	}
	if n, ok := nodes["values"]; ok && ps.Type != Enum {
		return n.Errorf("only enum params take values")
	}
	if ps.Type == Enum && len(ps.Allowed) == 0 {
		return item.Errorf("an enum param needs a non-empty values list")
	}
	return nil
}

var envItemKeys = []string{"params", "param", "service_host", "name", "value"}

// readEnv reads a role's env: its EnvironmentFile's lines, in order.
func readEnv(n yamlfile.Node, setup *roleSetup, rn *roleNodes) error {
	setup.env = []envItem{}
	return n.List(func(_ int, v yamlfile.Node) error {
		var e envItem
		err := v.Mapping(envItemKeys, func(k string, v yamlfile.Node) error {
			val, err := v.String()
			switch {
			case err != nil:
				return err
			case k == "params" && val != "all":
				return v.Errorf("must be all (every param, in the order declared), got %q", val)
			case k == "params":
				e.allParams = true
			case k == "param":
				e.param = val
			case k == "service_host":
				e.serviceHost = val
			case k == "name":
				e.name = val
			case k == "value":
				e.value = val
			}
			return nil
		})
		if err != nil {
			return err
		}
		kinds := v.Len()
		if v.Has("value") {
			kinds-- // name and value make one constant
		}
		if kinds != 1 || (e.name != "") != v.Has("value") {
			return v.Errorf("must be one of {params: all}, {param: NAME}, {service_host: VARIABLE} or {name: VARIABLE, value: VALUE}")
		}
		setup.env = append(setup.env, e)
		rn.env = append(rn.env, v)
		return nil
	})
}

// checkRoleEnv checks role i's env against the params and the Service:
// names are valid and set once, values are safe, and only the Service's
// clients read its host.
func (l *loader) checkRoleEnv(i int) error {
	s, setup, rn := &l.d.spec, l.d.roles[i], l.roles[i]
	role := s.Roles[i]
	seen := map[string]bool{}
	if role.DataDisk != nil {
		for _, n := range reservedEnv {
			seen[n] = true
		}
	}
	set := func(at yamlfile.Node, name string) error {
		if seen[name] {
			return at.Errorf("%s is set twice in the EnvironmentFile of role %s", name, role.Name)
		}
		seen[name] = true
		return nil
	}
	if setup.env == nil {
		if s.Service != nil && slices.Contains(s.Service.ClientRoles, role.Name) {
			seen["VIRTWORK_SERVICE_HOST"] = true
		}
		for _, p := range s.Params {
			if err := set(l.params, p.Env); err != nil {
				return err
			}
		}
		return nil
	}
	for j, e := range setup.env {
		at := rn.env[j]
		if err := l.checkEnvItem(role, e, at, set); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) checkEnvItem(role Role, e envItem, at yamlfile.Node, set func(yamlfile.Node, string) error) error {
	s := &l.d.spec
	switch {
	case e.allParams:
		for _, p := range s.Params {
			if err := set(at, p.Env); err != nil {
				return err
			}
		}
		return nil
	case e.param != "":
		p, ok := s.Param(e.param)
		if !ok {
			return at.Errorf("no param named %q", e.param)
		}
		return set(at, p.Env)
	case e.serviceHost != "":
		if s.Service == nil || !slices.Contains(s.Service.ClientRoles, role.Name) {
			return at.Errorf("only a role in service.clients has a Service host")
		}
		if _, err := l.envVar(at, e.serviceHost); err != nil {
			return err
		}
		return set(at, e.serviceHost)
	}
	if _, err := l.envVar(at, e.name); err != nil {
		return err
	}
	if !envSafe(e.value) {
		return at.Errorf("value %q may only hold letters, digits and . _ - / :", e.value)
	}
	return set(at, e.name)
}

var diskCheckKeys = []string{"param", "count", "percent", "what"}

// readDiskChecks reads disk_checks: each needs count files of a size
// param's value to fit in percent of the data disk.
func (l *loader) readDiskChecks(n yamlfile.Node) error {
	return n.List(func(_ int, v yamlfile.Node) error {
		var c diskCheck
		err := v.Mapping(diskCheckKeys, func(k string, v yamlfile.Node) error {
			var err error
			switch k {
			case "param":
				c.param, err = v.String()
			case "count":
				c.count, err = v.Int(1, 100)
			case "percent":
				c.percent, err = v.Int(1, 100)
			case "what":
				c.what, err = oneLine(v)
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := v.Require(diskCheckKeys...); err != nil {
			return err
		}
		l.d.diskChecks = append(l.d.diskChecks, c)
		l.checks = append(l.checks, v)
		return nil
	})
}

func (l *loader) checkDiskChecks() error {
	s := &l.d.spec
	for i, c := range l.d.diskChecks {
		if !s.NeedsDataDisk() {
			return l.checks[i].Errorf("the workload has no data disk to check")
		}
		if p, ok := s.Param(c.param); !ok || p.Type != Size {
			return l.checks[i].Errorf("param %q is not a size param of the workload%s", c.param, declaredSizes(s.Params))
		}
	}
	return nil
}

func declaredSizes(ps []ParamSpec) string {
	var out []string
	for _, p := range ps {
		if p.Type == Size {
			out = append(out, p.Name)
		}
	}
	if len(out) == 0 {
		return " (it declares none)"
	}
	return fmt.Sprintf(" (size params: %s)", strings.Join(out, ", "))
}
