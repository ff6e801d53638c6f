// Package yamlfile reads the YAML files people write by hand, the
// config file and each workload.yaml, strictly and in one way: exactly
// one document, aliases resolved, unknown keys refused with the closest
// known spelling, and every error starting with "file:line: key.path" so
// that it points at the line to fix.
package yamlfile
