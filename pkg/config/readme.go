package config

import (
	"bytes"
	"errors"
	"strings"
)

// Setting documents one setting as its row in the settings table defines it.
type Setting struct {
	// Flag is the command-line flag without "--" ("" when there is none);
	// Short its shorthand.
	Flag, Short string
	// Env is the environment variable.
	Env string
	// File is the key in the config file ("" when there is none); keys
	// under a section are written section.key (ssh.user). FileDoc is how
	// the docs spell a key a special step reads (workloads.<name>.params).
	File, FileDoc string
	// PerWorkload reports whether workloads.<name>.<File> overrides it.
	PerWorkload bool
	// List reports whether the setting takes several values: a repeatable
	// flag, a separated variable, a YAML list.
	List bool
	Doc  string
	// Default is the typed default as --help prints it ("" for none), and
	// DefaultDoc what the default is when it is computed at run time.
	Default, DefaultDoc string
}

// Settings lists every setting a user can give, in documentation order.
func Settings() []Setting {
	out := make([]Setting, 0, len(rows))
	for _, r := range rows {
		m := r.info()
		out = append(out, Setting{
			Flag: m.flag, Short: m.short, Env: m.env, File: m.file, FileDoc: m.fileDoc,
			PerWorkload: m.perWorkload, List: r.isList(), Doc: m.doc,
			Default: r.defaultText(), DefaultDoc: m.defDoc,
		})
	}
	return out
}

// The README's settings table sits between these lines.
const (
	tableBegin = "<!-- settings table: generated from pkg/config/settings.go by `make docs`; do not edit -->\n"
	tableEnd   = "<!-- end of the settings table -->\n"
)

// SettingsTable is the README's settings table in Markdown, one line per
// setting.
func SettingsTable() string {
	var b strings.Builder
	b.WriteString("| flag | variable | config key | default | meaning |\n|---|---|---|---|---|\n")
	code := func(s string) string { return "`" + s + "`" }
	for _, s := range Settings() {
		flag, file, def := "—", "—", "none"
		switch {
		case s.Short != "":
			flag = code("-"+s.Short) + ", " + code("--"+s.Flag)
		case s.Flag != "":
			flag = code("--" + s.Flag)
		}
		switch {
		case s.PerWorkload:
			file = code(s.File) + " or " + code("workloads.<name>."+s.File)
		case s.File != "":
			file = code(s.File)
		case s.FileDoc != "":
			file = code(s.FileDoc)
		}
		switch {
		case s.DefaultDoc != "":
			def = s.DefaultDoc
		case s.Default != "":
			def = code(s.Default)
		}
		cells := []string{flag, code(s.Env), file, def, s.Doc}
		b.WriteString("| " + strings.ReplaceAll(strings.Join(cells, " | "), "\n", " ") + " |\n")
	}
	return b.String()
}

// ReplaceSettingsTable returns readme with the text between its settings
// table markers replaced by SettingsTable.
func ReplaceSettingsTable(readme []byte) ([]byte, error) {
	_, rest, ok := bytes.Cut(readme, []byte(tableBegin))
	if !ok {
		return nil, errors.New("no settings table marker: " + strings.TrimSpace(tableBegin))
	}
	_, after, ok := bytes.Cut(rest, []byte(tableEnd))
	if !ok {
		return nil, errors.New("no end of the settings table: " + strings.TrimSpace(tableEnd))
	}
	head := readme[:len(readme)-len(rest)]
	out := append([]byte{}, head...)
	out = append(out, SettingsTable()...)
	out = append(out, tableEnd...)
	return append(out, after...), nil
}
