// Package preflight checks, before a command sends anything, that the
// cluster can take it: that the KubeVirt API (and CDI's, for data disks)
// is served in the versions virtwork writes, that the user holds every
// permission the command will use (one SelfSubjectAccessReview each, so
// the API server's own authorizer answers), and that data disks without a
// StorageClass of their own have a default one. It returns a checklist;
// the command prints it and fails when a line is missing.
package preflight
