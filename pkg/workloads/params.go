package workloads

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ParamType is the type of a workload param; it decides how a raw value is
// parsed and how it is written for the guest.
type ParamType string

// The param types. Every type's canonical form uses only characters that are
// safe in an EnvironmentFile and in a quoted shell word.
const (
	// Int is a decimal integer within [Min, Max].
	Int ParamType = "int"
	// Size is a byte count with an optional binary unit (512K, 4Ki, 1G,
	// 1GiB: K=1024); its canonical form is the number of bytes, so the same
	// text means the same bytes everywhere. Bounded by [Min, Max] bytes.
	Size ParamType = "size"
	// Enum is one of Allowed.
	Enum ParamType = "enum"
	// String is free text restricted to letters, digits and ._- (at most
	// 63 characters).
	String ParamType = "string"
)

// ParamSpec declares one param of a workload.
type ParamSpec struct {
	// Name is the param's one spelling on the command line, in env vars and
	// in the config file (kebab-case).
	Name        string
	Type        ParamType
	Description string
	// Default is the raw default value; it must itself be valid.
	Default string
	// Min and Max bound Int values and Size values (in bytes).
	Min, Max int64
	// Allowed lists the values of an Enum.
	Allowed []string
	// Env is the variable the guest's EnvironmentFile sets to the value.
	Env string
}

var safeString = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Parse validates raw against the spec and returns its canonical form.
// Errors describe only the value; callers add where it came from.
func (p ParamSpec) Parse(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	switch p.Type {
	case Int:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return "", fmt.Errorf("must be an integer between %d and %d, got %q", p.Min, p.Max, raw)
		}
		if n < p.Min || n > p.Max {
			return "", fmt.Errorf("must be between %d and %d, got %d", p.Min, p.Max, n)
		}
		return strconv.FormatInt(n, 10), nil
	case Size:
		n, err := ParseSize(raw)
		if err != nil {
			return "", fmt.Errorf("must be a size such as 4K, 512Mi or 1G (binary units), got %q", raw)
		}
		if n < p.Min || n > p.Max {
			return "", fmt.Errorf("must be between %s and %s, got %q", FormatSize(p.Min), FormatSize(p.Max), raw)
		}
		return strconv.FormatInt(n, 10), nil
	case Enum:
		for _, a := range p.Allowed {
			if raw == a {
				return raw, nil
			}
		}
		return "", fmt.Errorf("must be one of %s, got %q", strings.Join(p.Allowed, ", "), raw)
	case String:
		if !safeString.MatchString(raw) {
			return "", fmt.Errorf("must be 1-63 letters, digits, '.', '_' or '-' starting with a letter or digit, got %q", raw)
		}
		return raw, nil
	}
	return "", fmt.Errorf("has unknown type %q", p.Type)
}

// Range describes the values the param accepts, for help and listings.
func (p ParamSpec) Range() string {
	switch p.Type {
	case Int:
		return fmt.Sprintf("%d..%d", p.Min, p.Max)
	case Size:
		return fmt.Sprintf("%s..%s", FormatSize(p.Min), FormatSize(p.Max))
	case Enum:
		return strings.Join(p.Allowed, "|")
	case String:
		return "[A-Za-z0-9._-]{1,63}"
	}
	return ""
}

var sizeUnits = map[string]int64{
	"": 1, "B": 1,
	"K": 1 << 10, "KB": 1 << 10, "KI": 1 << 10, "KIB": 1 << 10,
	"M": 1 << 20, "MB": 1 << 20, "MI": 1 << 20, "MIB": 1 << 20,
	"G": 1 << 30, "GB": 1 << 30, "GI": 1 << 30, "GIB": 1 << 30,
	"T": 1 << 40, "TB": 1 << 40, "TI": 1 << 40, "TIB": 1 << 40,
}

// ParseSize parses a byte count with an optional binary unit suffix
// (case-insensitive; K, KB, Ki and KiB all mean 1024).
func ParseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 || i > 15 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	mult, ok := sizeUnits[strings.ToUpper(s[i:])]
	if !ok {
		return 0, fmt.Errorf("invalid size unit in %q", s)
	}
	return n * mult, nil
}

// FormatSize prints n bytes with the largest binary unit that divides it.
func FormatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Values holds a workload's params in canonical form, keyed by param name.
type Values map[string]string

// Int returns the named value as an integer; the value is canonical, so this
// cannot fail for a param declared as Int or Size.
func (v Values) Int(name string) int64 {
	n, _ := strconv.ParseInt(v[name], 10, 64)
	return n
}
