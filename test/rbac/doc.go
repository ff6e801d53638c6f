// Package rbac runs the plugin as a user bound only to deploy/rbac/ on the
// RBAC-enforcing API server of test/cluster (impersonated with --as): apply,
// wait, status and cleanup succeed with the shipped roles, and with any one
// verb of them removed the command that needs it — and preflight for that
// command — fails with a message naming the missing permission.
package rbac
