package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"text/template"
)

// manifestName is the krew manifest's file name: krew and its validator
// require <plugin name>.yaml.
const manifestName = "virtwork.yaml"

// manifestTemplate is the krew manifest with the release's version and
// assets left out; the descriptions, caveats and file lists are edited
// there.
//
//go:embed virtwork.yaml.tmpl
var manifestTemplate string

var manifestTmpl = template.Must(template.New(manifestName).Option("missingkey=error").Parse(manifestTemplate))

// manifestPlatform is one spec.platforms item.
type manifestPlatform struct {
	OS, Arch, URI, SHA256, Bin string
	Files                      []string
}

// renderManifest writes the krew manifest of a release's assets.
func renderManifest(version string, assets []asset) ([]byte, error) {
	var platforms []manifestPlatform
	for _, a := range assets {
		p := a.Platform
		platforms = append(platforms, manifestPlatform{
			OS: p.OS, Arch: p.Arch,
			URI:    fmt.Sprintf("%s/releases/download/%s/%s", Homepage, version, a.Name),
			SHA256: a.SHA256,
			Bin:    p.bin(),
			// The README stays in the archive for people who unpack it by
			// hand; krew installs what the plugin needs at run time.
			Files: []string{p.bin(), "LICENSE", p.completion()},
		})
	}
	var buf bytes.Buffer
	err := manifestTmpl.Execute(&buf, struct {
		Version, Homepage string
		Platforms         []manifestPlatform
	}{version, Homepage, platforms})
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", manifestName, err)
	}
	return buf.Bytes(), nil
}
