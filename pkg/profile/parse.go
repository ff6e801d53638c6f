package profile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/virtwork/kubectl-virtwork/pkg/suggest"
	"github.com/virtwork/kubectl-virtwork/pkg/yamlfile"
)

// pair is one key=value of a profile as a source gave it; where names the
// key for messages ("--profile cpu=square:period=0: period" or
// "c.yaml:4: workloads.cpu.profile.period").
type pair struct {
	key, value, where string
}

// spelling is one way a profile was written, reduced to what build needs:
// the shape, the pairs, and how to name a key that was not given.
type spelling struct {
	shape, shapeWhere string
	pairs             []pair
	keyWhere          func(key string) string
}

// Parse reads the flag form SHAPE[:KEY=VALUE,...], as it follows
// `--profile WORKLOAD=`, and checks it against the workload's levels.
// src names the source in every message, for example
// "--profile cpu=square:high=90,period=10m".
func Parse(text, src string, lv Levels) (Profile, error) {
	if err := lv.check(); err != nil {
		return Profile{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Profile{}, fmt.Errorf("%s: no profile; give a shape such as constant or square:high=90,low=10,period=10m", src)
	}
	shape, rest, hasKeys := strings.Cut(text, ":")
	sp := spelling{shape: strings.TrimSpace(shape), shapeWhere: src,
		keyWhere: func(k string) string { return src + ": " + k }}
	if hasKeys {
		for _, item := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(item, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return Profile{}, fmt.Errorf("%s: %q must look like KEY=VALUE (for example period=10m); separate keys with commas", src, item)
			}
			sp.pairs = append(sp.pairs, pair{key: k, value: v, where: sp.keyWhere(k)})
		}
	}
	return sp.build(lv)
}

// FromYAML reads a profile from a config file: a mapping such as
// {shape: square, high: 90, period: 10m}, or a string in the flag form.
// steps' levels may also be a list (["20@5m", "50@5m"]). Messages start
// with the node's "file:line: key.path".
func FromYAML(n yamlfile.Node, lv Levels) (Profile, error) {
	if err := lv.check(); err != nil {
		return Profile{}, err
	}
	if n.IsScalar() && !n.Null() {
		return Parse(n.Value(), n.Where(), lv)
	}
	if !n.IsMapping() {
		return Profile{}, n.Errorf("must be a mapping such as {shape: square, high: 90, period: 10m} or a string such as square:high=90,period=10m")
	}
	if err := n.Require("shape"); err != nil {
		return Profile{}, err
	}
	sp := spelling{keyWhere: func(k string) string { return n.Where() + "." + k }}
	err := n.Each(func(key, v yamlfile.Node) error {
		k := key.Value()
		var val string
		var err error
		if k == "levels" && v.IsList() {
			var items []string
			items, err = v.Strings()
			val = strings.Join(items, "/")
		} else {
			val, err = v.String()
		}
		if k == "shape" {
			sp.shape, sp.shapeWhere = val, v.Where()
			return err
		}
		sp.pairs = append(sp.pairs, pair{key: k, value: strings.TrimSpace(val), where: key.Where()})
		return err
	})
	if err != nil {
		return Profile{}, err
	}
	return sp.build(lv)
}

// build is the one validation both spellings go through.
func (sp spelling) build(lv Levels) (Profile, error) {
	shape := Shape(sp.shape)
	keys := keysOf(shape)
	if keys == nil {
		names := make([]string, 0, 6)
		for _, s := range Shapes() {
			names = append(names, string(s))
		}
		return Profile{}, fmt.Errorf("%s: unknown shape %q%s (known: %s)", sp.shapeWhere, sp.shape,
			suggest.DidYouMean(sp.shape, names), strings.Join(names, ", "))
	}
	p := defaults(shape, lv)
	given := map[string]string{}
	for _, pr := range sp.pairs {
		i := slices.IndexFunc(keys, func(k key) bool { return k.name == pr.key })
		if i < 0 {
			return Profile{}, unknownKey(pr, shape, keys)
		}
		if _, twice := given[pr.key]; twice {
			return Profile{}, fmt.Errorf("%s is given twice; give it once", pr.where)
		}
		given[pr.key] = pr.where
		if err := keys[i].set(&p, pr.value, field{where: pr.where, lv: lv}); err != nil {
			return Profile{}, err
		}
	}
	at := func(k string) string {
		if w, ok := given[k]; ok {
			return w
		}
		return sp.keyWhere(k)
	}
	if k := highKey(shape); lv.Default == 0 && k != "" && given[k] == "" {
		return Profile{}, fmt.Errorf("%s is required: the workload's level param is 0 (unlimited), not a level to hold; give %s=N with N from %d to %d",
			sp.keyWhere(k), k, max(lv.Min, 1), lv.Max)
	}
	if err := p.together(at, given); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// highKey is the key of a shape that defaults to the workload's level
// ("" for steps, which has none).
func highKey(s Shape) string {
	return map[Shape]string{Constant: "level", Square: "high", Ramp: "to", Spike: "peak", Sine: "max"}[s]
}

func unknownKey(pr pair, shape Shape, keys []key) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	slices.Sort(names)
	return fmt.Errorf("%s: unknown key for shape %s%s (known: %s)", pr.where, shape,
		suggest.DidYouMean(pr.key, names), strings.Join(names, ", "))
}

// together checks what no single key can: keys against each other, and the
// keys a shape requires.
func (p Profile) together(at func(string) string, given map[string]string) error {
	switch p.Shape {
	case Square:
		if p.Low > p.High {
			return fmt.Errorf("%s (%d) must not be above high (%d); swap them, or change duty to change the time at each", at("low"), p.Low, p.High)
		}
	case Spike:
		if p.Base > p.Peak {
			return fmt.Errorf("%s (%d) must not be above peak (%d)", at("base"), p.Base, p.Peak)
		}
		if _, ok := given["length"]; !ok && p.Length >= p.Every {
			return fmt.Errorf("%s (%s) must be longer than length (%s, the default); give a shorter length", at("every"), FormatDuration(p.Every), FormatDuration(p.Length))
		}
		if p.Length >= p.Every {
			return fmt.Errorf("%s (%s) must be shorter than every (%s)", at("length"), FormatDuration(p.Length), FormatDuration(p.Every))
		}
	case Steps:
		if _, ok := given["levels"]; !ok {
			return fmt.Errorf("%s is required: list LEVEL@DURATION steps separated by / (for example %s)", at("levels"), stepsHelp)
		}
	case Sine:
		if p.Min > p.Max {
			return fmt.Errorf("%s (%d) must not be above max (%d)", at("min"), p.Min, p.Max)
		}
	}
	if p.Spread.Kind == SpreadRandom && !p.Repeats() {
		return fmt.Errorf("%s must not be random for %s, which does not repeat: use a repeating shape (square, spike, sine, "+
			"ramp with then=repeat, steps with repeat=true), or spread=jitter=DURATION to stagger the start", at("spread"), p.Shape)
	}
	return nil
}
