package config

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// The parsers of the rows in settings.go. Each checks one value as a source
// gave it and names that source (src) in its error, with the fix.

func intIn(lo, hi int) func(v, src string) (int, error) {
	return func(v, src string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, invalidf("%s must be an integer between %d and %d, got %q", src, lo, hi, v)
		}
		if n < lo || n > hi {
			return 0, invalidf("%s must be between %d and %d, got %d", src, lo, hi, n)
		}
		return n, nil
	}
}

func quantityIn(lo, hi string) func(v, src string) (resource.Quantity, error) {
	low, high := resource.MustParse(lo), resource.MustParse(hi)
	return func(v, src string) (resource.Quantity, error) {
		q, err := resource.ParseQuantity(strings.TrimSpace(v))
		if err != nil {
			return q, invalidf("%s must be a quantity such as 2Gi or 512Mi, got %q", src, v)
		}
		if q.Cmp(low) < 0 || q.Cmp(high) > 0 {
			return q, invalidf("%s must be between %s and %s, got %s", src, lo, hi, v)
		}
		if q.Value()*1000 != q.MilliValue() {
			return q, invalidf("%s must be a whole number of bytes, got %s", src, v)
		}
		return q, nil
	}
}

func parseBool(v, src string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, invalidf("%s must be true or false, got %q", src, v)
	}
	return b, nil
}

func parseRunID(v, src string) (string, error) {
	id, err := uuid.Parse(strings.TrimSpace(v))
	if err != nil || len(strings.TrimSpace(v)) != 36 {
		return "", invalidf("%s must be a UUID such as 3f2b6c1e-8d4a-4e0f-9b7a-2c5d8e1f0a93, got %q", src, v)
	}
	return id.String(), nil
}

func parseTimeout(v, src string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, invalidf("%s must be a duration such as 10m or 90s, got %q", src, v)
	}
	if d < MinTimeout || d > MaxTimeout {
		return 0, invalidf("%s must be between %s and %s, got %s", src, MinTimeout, MaxTimeout, v)
	}
	return d, nil
}

func parseNamespace(v, src string) (string, error) {
	if errs := validation.IsDNS1123Label(v); len(errs) > 0 {
		return "", invalidf("%s must be a valid namespace name (lowercase letters, digits and '-', at most 63), got %q", src, v)
	}
	return v, nil
}

func parseStorageClass(v, src string) (string, error) {
	if v == "" {
		return "", nil // the cluster's default class
	}
	if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
		return "", invalidf("%s must be a StorageClass name (lowercase letters, digits, '-' and '.'), got %q", src, v)
	}
	return v, nil
}

// imageRef accepts [registry[:port]/]path[:tag][@sha256:digest].
var imageRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

func parseImage(v, src string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", invalidf("%s must not be empty; give a containerDisk image such as %s", src, DefaultImage)
	}
	if len(v) > 512 || !imageRef.MatchString(v) {
		return "", invalidf("%s must be an image reference such as %s, got %q", src, DefaultImage, v)
	}
	return v, nil
}

func parseGuest(v, src string) (workloads.Guest, error) {
	g, err := workloads.ParseGuest(v)
	if err != nil {
		return "", invalidf("%s %v", src, err)
	}
	return g, nil
}

var userName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

func parseUser(v, src string) (string, error) {
	if !userName.MatchString(v) {
		return "", invalidf("%s must be a Linux user name (lowercase letters, digits, '_' and '-', at most 32, not starting with a digit), got %q", src, v)
	}
	return v, nil
}

func parsePassword(v, src string) (string, error) {
	if v == "" {
		return "", invalidf("%s is set but empty; unset it or set a password", src)
	}
	if strings.ContainsAny(v, "\n\r") {
		return "", invalidf("%s must be one line", src)
	}
	return v, nil
}

func parseConfigPath(v, src string) (string, error) {
	if v == "" {
		return "", invalidf("%s is empty; give the path of a YAML config file", src)
	}
	return v, nil
}

// param is one WORKLOAD.PARAM=VALUE from any source; its value is checked
// against the workload's schema once the registry is known (selection.go).
type param struct {
	workload, name, value, src string
}

func parseParam(item, src string) ([]param, error) {
	item = strings.TrimSpace(item)
	wp, val, ok := strings.Cut(item, "=")
	wl, name, ok2 := strings.Cut(wp, ".")
	if !ok || !ok2 || wl == "" || name == "" {
		return nil, invalidf("%s: %q must look like WORKLOAD.PARAM=VALUE (for example cpu.load-percent=80)", src, item)
	}
	return []param{{workload: wl, name: name, value: val, src: src + " " + item}}, nil
}
