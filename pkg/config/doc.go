// Package config resolves one run's settings from four sources, highest
// precedence first: command-line flags, VIRTWORK_* environment variables, the
// --config YAML file (per-workload values before its top-level ones), and
// built-in defaults.
//
// Each setting is one row of the table in settings.go: its flag, variable
// and file key, whether a workload's section may override it, its typed
// default, its parser and where its value goes. The flags, the environment
// and file readers, --help, docs/cli and the README's settings table all
// come from the rows. Every value any source gives is parsed once, where it
// is read, even when a higher source overrides it, so an error names the
// flag, variable or file:line: key it came from and says how to fix it. The
// result is one typed Config that later steps trust.
package config
