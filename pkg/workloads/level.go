package workloads

import (
	"fmt"
	"path"
	"slices"

	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// Level is what a workload declares to take a load profile (pkg/profile):
// the int param that holds its level, whose range is the level's range
// and whose value is the level a constant profile holds, and the level's
// unit, for docs and listings. A workload without one runs as it always
// did and refuses --profile, --start-at and --duration.
type Level struct {
	Param string `json:"param"`
	Unit  string `json:"unit,omitempty"`
	// Roles lists the roles whose EnvironmentFile carries the level's
	// param: the VMs that produce the level (network's clients, not its
	// server). The loader fills it in.
	Roles []string `json:"roles,omitempty"`
}

// Follows reports whether VMs of the role produce the level.
func (l *Level) Follows(role string) bool { return slices.Contains(l.Roles, role) }

// LevelRange is a level param's range and value: min, max and the level
// the params give (its default or --params).
type LevelRange struct{ Min, Max, Value int }

// LevelRange returns the workload's level range under params v; ok is
// false for a workload that declares no level.
func (s Spec) LevelRange(v Values) (LevelRange, bool) {
	if s.Level == nil {
		return LevelRange{}, false
	}
	p, _ := s.Param(s.Level.Param)
	return LevelRange{Min: int(p.Min), Max: int(p.Max), Value: int(v.Int(p.Name))}, true
}

// maxLevel is the highest level a schedule file holds.
const maxLevel = 1<<31 - 1

// SchedulePath is where a workload's schedule file lives in the guest; its
// EnvironmentFile names it as VIRTWORK_SCHEDULE.
func SchedulePath(workload string) string { return path.Join(guestEnvDir, workload+".schedule") }

// scheduleEnv is the variable that names the schedule file.
const scheduleEnv = "VIRTWORK_SCHEDULE"

// levelScript is the schedule reader every VM with a schedule gets.
var levelScript = guestFile{src: "lib/virtwork-level.sh", dest: path.Join(guestBinDir, "virtwork-level"), mode: "0755"}

// readLevel reads level: {param: NAME, unit: TEXT}; the param is checked
// once every param is read (checkLevel).
func (l *loader) readLevel(n yamlfile.Node) error {
	lv := &Level{}
	err := n.Mapping([]string{"param", "unit"}, func(k string, v yamlfile.Node) error {
		var err error
		switch k {
		case "param":
			lv.Param, err = v.String()
		case "unit":
			lv.Unit, err = oneLine(v)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := n.Require("param"); err != nil {
		return err
	}
	l.level, l.d.spec.Level = &n, lv
	return nil
}

// checkLevel: the level's param is a declared int param whose range a
// schedule can hold (0 is idle, so min >= 0; max >= 1).
func (l *loader) checkLevel() error {
	lv := l.d.spec.Level
	if lv == nil {
		return nil
	}
	p, ok := l.d.spec.Param(lv.Param)
	where := l.level.Where() + ".param"
	if !ok {
		return fmt.Errorf("%s: %q is not a declared param", where, lv.Param)
	}
	if p.Type != Int || p.Min < 0 || p.Max < 1 || p.Max > maxLevel {
		return fmt.Errorf("%s: param %q must be an int with min at least 0 and max between 1 and %d", where, lv.Param, maxLevel)
	}
	for i, r := range l.d.spec.Roles {
		if l.d.roles[i].carries(lv.Param) {
			lv.Roles = append(lv.Roles, r.Name)
		}
	}
	if len(lv.Roles) == 0 {
		return fmt.Errorf("%s: no role's env carries param %q, so no VM would follow the level", where, lv.Param)
	}
	return nil
}

// carries reports whether the role's EnvironmentFile has the param's line.
func (r roleSetup) carries(param string) bool {
	if r.env == nil {
		return true // every param
	}
	return slices.ContainsFunc(r.env, func(e envItem) bool { return e.allParams || e.param == param })
}

// scheduleFiles are what a VM with a schedule gets: its EnvironmentFile
// line and the reader and the file.
func (d *Definition) scheduleFiles(in Instance) (EnvVar, []File, error) {
	if d.spec.Level == nil {
		return EnvVar{}, nil, fmt.Errorf("workload %s declares no level, so it cannot take a schedule", d.spec.Name)
	}
	content, err := templateFile(levelScript.src)
	if err != nil {
		return EnvVar{}, nil, err
	}
	dest := SchedulePath(d.spec.Name)
	return EnvVar{scheduleEnv, dest}, []File{
		{Path: levelScript.dest, Permissions: levelScript.mode, Content: content},
		{Path: dest, Permissions: "0644", Content: in.Schedule},
	}, nil
}
