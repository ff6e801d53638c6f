package config

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/virtwork/kubectl-virtwork/pkg/workloads"
)

// Record is what the audit history keeps of an apply: enough to make the
// same run's configuration again (FromRecord), for commands that check an
// applied run against its model (verify).
type Record struct {
	// Image is the containerDisk image, or the boot source as
	// --boot-source takes it for a cloned or imported root disk
	// (Config.RootDisk).
	RunID, Namespace, Image string
	// Namespaces are those of a run spread over several (--namespaces),
	// Namespace being the first; empty for a run in Namespace alone.
	Namespaces []string
	Workloads  []string
	// At is when the run was made: a recorded start-at is checked against
	// it, as it was then, not against now.
	At time.Time
	// Options are the recorded settings: <workload>.<flag> for each
	// per-workload setting (as Workload.Settings gives them), and
	// <workload>.params and <workload>.profile.
	Options map[string]string
}

// recordFile is the config file FromRecord hands Load; it is never
// written to disk.
const recordFile = "recorded-run.yaml"

// FromRecord resolves the configuration of a recorded run: its workloads,
// their per-workload settings, params and profiles, through the same Load
// as the command that made it, with the recorded run id, so the render
// names the same VMs. Custom workloads come from OpenDir/workload dirs in
// src, as when the run was made. Values are JSON-quoted into the file, so
// no recorded text can add a key.
func FromRecord(reg *workloads.Registry, rec Record, src Sources) (*Config, error) {
	var b strings.Builder
	q := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	fmt.Fprintf(&b, "run_id: %s\nnamespace: %s\n", q(rec.RunID), q(rec.Namespace))
	if n := len(rec.Namespaces); n > 1 {
		// The names are <prefix>-0 to <prefix>-<n-1>: the prefix is the
		// first one's, and the names it makes must be the recorded ones.
		prefix := strings.TrimSuffix(rec.Namespaces[0], "-0")
		if !slices.Equal(NamespaceNames(prefix, n), rec.Namespaces) {
			return nil, fmt.Errorf("the recorded namespaces of run %s (%s) do not follow <prefix>-<i>; was it made by another version?", rec.RunID, strings.Join(rec.Namespaces, ", "))
		}
		fmt.Fprintf(&b, "namespaces: %d\nnamespace_prefix: %s\n", n, q(prefix))
	}
	if rec.Image != "" {
		key := "image"
		if bs, err := parseBootSource(rec.Image, "the recorded root disk"); err == nil && bs.Cloned() {
			key = "boot_source"
		}
		fmt.Fprintf(&b, "%s: %s\n", key, q(rec.Image))
	}
	b.WriteString("workloads:\n")
	for _, w := range rec.Workloads {
		fmt.Fprintf(&b, "  %s:\n    enabled: true\n", q(w))
		var keys []string
		for _, r := range rows {
			m := r.info()
			if v, ok := rec.Options[w+"."+m.flag]; ok && m.perWorkload && v != "" {
				keys = append(keys, fmt.Sprintf("    %s: %s\n", m.file, q(v)))
			}
		}
		sort.Strings(keys)
		b.WriteString(strings.Join(keys, ""))
		if p := rec.Options[w+".profile"]; p != "" {
			fmt.Fprintf(&b, "    profile: %s\n", q(p))
		}
		if ps := rec.Options[w+".params"]; ps != "" {
			b.WriteString("    params:\n")
			for _, kv := range strings.Split(ps, ",") {
				k, v, _ := strings.Cut(kv, "=")
				fmt.Fprintf(&b, "      %s: %s\n", q(k), q(v))
			}
		}
	}
	file := b.String()
	lookup := src.LookupEnv
	src.LookupEnv = func(k string) (string, bool) {
		switch k {
		case "VIRTWORK_CONFIG":
			return recordFile, true
		case "VIRTWORK_WORKLOADS":
			return strings.Join(rec.Workloads, ","), true
		case "VIRTWORK_RUN_ID", "VIRTWORK_NAMESPACE", "VIRTWORK_IMAGE", "VIRTWORK_BOOT_SOURCE":
			return "", false
		}
		// Only the custom workload directories still come from the
		// environment: every setting of the run is the recorded one.
		if k == "VIRTWORK_WORKLOAD_DIR" && lookup != nil {
			return lookup(k)
		}
		return "", false
	}
	readFile := src.ReadFile
	src.ReadFile = func(name string) ([]byte, error) {
		if name == recordFile {
			return []byte(file), nil
		}
		if readFile == nil {
			return nil, fs.ErrNotExist
		}
		return readFile(name)
	}
	src.Flags, src.Namespace = nil, ""
	src.Now = func() time.Time { return rec.At }
	cfg, err := Load(reg, src)
	if err != nil {
		return nil, fmt.Errorf("the recorded settings of run %s no longer load (%w); was it made by another version?", rec.RunID, err)
	}
	return cfg, nil
}
