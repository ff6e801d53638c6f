package config

import (
	"maps"
	"strings"
	"time"
	"unicode"

	"github.com/virtwork/kubectl-virtwork/pkg/profile"
	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// The load shape rows (pkg/profile; README "Load shapes"). profiles (below)
// checks each profile against its workload's level once the params are
// known, and the timing of every selected workload against its level.

// profileRow: profiles parses each WORKLOAD=SHAPE... against the named
// workload's level range.
var profileRow = &setting[[]profileArg]{
	meta: meta{flag: "profile", typ: "stringArray", groups: runFlags, env: "VIRTWORK_PROFILE", envSep: ";",
		fileDoc: "workloads.<name>.profile", step: "profiles",
		doc: "load shape of a workload that has a level, as `WORKLOAD=SHAPE[:KEY=VALUE,...]` such as `cpu=square:high=80,low=10,period=2m` " +
			"(repeatable; `;`-separated in the variable; in the file, `workloads.<name>.profile` as a mapping or that string)",
		defDoc: "constant at the workload's level"},
	parse: each(parseProfileArg),
}

var startAtRow = &setting[time.Time]{
	meta: meta{flag: "start-at", typ: "time", groups: runFlags, env: "VIRTWORK_START_AT", file: "start_at", perWorkload: true, step: "profiles",
		doc:    "when the profiles start, the same instant in every VM: RFC 3339 or `+DURATION` from now (`+10m`), written as UTC; idle before it",
		defDoc: "as each guest boots"},
	parse:    parseStartAt,
	workload: func(w *Workload) *time.Time { return &w.Timing.Start },
}

var durationRow = &setting[time.Duration]{
	meta: meta{flag: "duration", typ: "duration", groups: runFlags, env: "VIRTWORK_DURATION", file: "duration", perWorkload: true, step: "profiles",
		doc:    "how long the profiles play (10s-30d, days as `1d`); then the level is 0 for good and the unit stays active, \"finished\"",
		defDoc: "for ever"},
	parse: one(func(v, src string) (time.Duration, error) {
		d, err := profile.ParseDuration(v, src)
		if err != nil {
			return 0, invalid(err)
		}
		return d, nil
	}),
	workload: func(w *Workload) *time.Duration { return &w.Timing.Duration },
}

func parseStartAt(rv rawVal) (time.Time, error) {
	t, err := profile.ParseStartAt(rv.vals[0], rv.src, rv.now)
	if err != nil {
		return time.Time{}, invalid(err)
	}
	return t, nil
}

// profileArg is one WORKLOAD=SHAPE... of the flag or the variable; its
// shape is parsed by profiles, against the workload's levels.
type profileArg struct {
	workload, text, src string
}

func parseProfileArg(item, src string) ([]profileArg, error) {
	item = strings.TrimSpace(item)
	if strings.IndexFunc(item, unicode.IsControl) >= 0 {
		// Messages quote the item after the source; it must stay one line.
		return nil, invalidf("%s: %q must not hold control characters such as a newline", src, item)
	}
	wl, text, ok := strings.Cut(item, "=")
	wl, text = strings.TrimSpace(wl), strings.TrimSpace(text)
	if !ok || wl == "" || text == "" || strings.ContainsAny(wl, ":,") {
		return nil, invalidf("%s: %q must look like WORKLOAD=SHAPE[:KEY=VALUE,...] (for example cpu=square:high=80,low=10,period=2m)", src, item)
	}
	return []profileArg{{workload: wl, text: text, src: src + " " + item}}, nil
}

// profiles parses every profile any source gives, highest first (the
// flag, the variable, the file's workloads.<name>.profile), each against
// its workload's level; the first of each workload wins. It gives each
// selected workload that has a profile or a timing its Profile, a constant
// one at its level when only the timing was given, and refuses a shape or
// a timing for a workload without a level, and a duration shorter than
// one cycle.
func (r *resolver) profiles(ws []Workload, params map[string]workloads.Values) error {
	won := map[string]*profile.Profile{}
	srcs := map[string]string{}
	add := func(name, src string, fromFile bool, parse func(profile.Levels) (profile.Profile, error)) error {
		lv, ok, err := r.levels(name, src, params[name])
		if err != nil {
			return err
		}
		if !ok {
			return r.noLevel(src, name)
		}
		p, err := parse(lv)
		if err != nil {
			return invalid(err)
		}
		if prev, twice := srcs[name]; twice && !fromFile && strings.Fields(prev)[0] == strings.Fields(src)[0] {
			return invalidf("%s: workload %s already has a profile (%s); give one per workload", src, name, prev)
		}
		if _, ok := won[name]; !ok {
			won[name], srcs[name] = &p, src
		}
		return nil
	}
	for _, g := range values(r, profileRow) {
		for _, a := range g.v {
			err := add(a.workload, a.src, false, func(lv profile.Levels) (profile.Profile, error) { return profile.Parse(a.text, a.src, lv) })
			if err != nil {
				return err
			}
		}
	}
	for _, name := range r.reg.Names() {
		if fw, ok := r.file.workloads[name]; ok && fw.profile != nil {
			n := *fw.profile
			if err := add(name, n.Where(), true, func(lv profile.Levels) (profile.Profile, error) { return profile.FromYAML(n, lv) }); err != nil {
				return err
			}
		}
	}
	anyLevel := false
	for i := range ws {
		ok, err := r.shape(&ws[i], won[ws[i].Name], srcs[ws[i].Name], params[ws[i].Name])
		if err != nil {
			return err
		}
		anyLevel = anyLevel || ok
	}
	for _, g := range []given[string]{toText(pick(r, startAtRow, "")), toText(pick(r, durationRow, ""))} {
		if g.src != "" && !anyLevel {
			return invalidf("%s: none of the selected workloads has a level to time (workloads with one: %s); select one with --workloads, "+
				"and give a --profile to one whose level param is 0 (unlimited)", g.src, strings.Join(r.leveled(), ", "))
		}
	}
	return nil
}

// toText keeps the source of a picked value ("" when none was given).
func toText[T any](g given[T], ok bool) given[string] {
	if !ok {
		return given[string]{}
	}
	return given[string]{src: g.src, workload: g.workload}
}

// shape places one selected workload's profile and checks its timing. A
// timing given for the whole run (flag, variable, the file's top level)
// applies to the workloads that have a level; one given in the file's
// workloads.<name> section of a workload without one is an error.
func (r *resolver) shape(w *Workload, p *profile.Profile, psrc string, vals workloads.Values) (bool, error) {
	start, timed := pick(r, startAtRow, w.Name)
	dur, ended := pick(r, durationRow, w.Name)
	lv, ok, err := r.levels(w.Name, psrc, vals)
	if err != nil || !ok {
		w.Timing = profile.Timing{}
		for _, g := range []given[string]{{src: start.src, workload: start.workload}, {src: dur.src, workload: dur.workload}} {
			if g.workload != "" {
				return false, r.noLevel(g.src, w.Name)
			}
		}
		return false, err
	}
	if p == nil && !timed && !ended {
		return true, nil
	}
	if p == nil && lv.Default == 0 {
		// Its level param at 0 is unlimited, not a level a schedule can
		// hold: a run-wide timing leaves it running as without one.
		w.Timing = profile.Timing{}
		for _, g := range []given[string]{{src: start.src, workload: start.workload}, {src: dur.src, workload: dur.workload}} {
			if g.workload != "" {
				return false, invalidf("%s: workload %s has no level to time: its level param is 0 (unlimited); give workloads.%s.profile a level (for example constant:level=N)",
					g.src, w.Name, w.Name)
			}
		}
		return false, nil
	}
	if p == nil {
		d := profile.Default(lv)
		p, psrc = &d, "the constant profile of "+w.Name
	}
	w.Profile = p
	if ended {
		if err := profile.CheckDuration(dur.v, dur.src, p.Schedule(), psrc); err != nil {
			return true, invalid(err)
		}
	}
	return true, nil
}

// levels is the level range of workload name under its params (given
// ones over the defaults); ok is false for a workload without a level.
// src names what asked for it.
func (r *resolver) levels(name, src string, given workloads.Values) (profile.Levels, bool, error) {
	w, err := r.reg.Lookup(name)
	if err != nil {
		return profile.Levels{}, false, invalidf("%s: %v", src, err)
	}
	spec := w.Spec()
	v, err := spec.Defaults()
	if err != nil {
		return profile.Levels{}, false, err
	}
	maps.Copy(v, given)
	lr, ok := spec.LevelRange(v)
	return profile.Levels{Min: lr.Min, Max: lr.Max, Default: lr.Value}, ok, nil
}

// noLevel is the error of a shape or timing for workload name, which has
// no level.
func (r *resolver) noLevel(src, name string) error {
	return invalidf("%s: workload %s has no level to shape or time (workloads with one: %s)", src, name, strings.Join(r.leveled(), ", "))
}

// leveled lists the workloads that declare a level, in registry order.
func (r *resolver) leveled() []string {
	var with []string
	for _, n := range r.reg.Names() {
		if x, _ := r.reg.Get(n); x != nil && x.Spec().Level != nil {
			with = append(with, n)
		}
	}
	return with
}

// readProfile keeps workloads.<name>.profile's node for profiles, which
// reads it once the workload's level is known.
func (fw *fileWorkload) readProfile(v yamlfile.Node) error {
	if !v.Null() {
		fw.profile = &v
	}
	return nil
}
