// Package validate checks workload directories the way `kubectl virtwork
// validate` does: it loads each directory with the loader and the checks
// --workload-dir uses, renders every workload that loads as a run would
// (default params, one instance), and runs the real validators of pkg/lint
// on each role's user-data. It returns one verdict per workload directory
// and can print each as soon as it is known. It is not pkg/lint itself
// because pkg/render's tests use pkg/lint, and this package renders.
package validate
