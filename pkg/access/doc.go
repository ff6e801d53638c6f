// Package access names the Kubernetes permissions virtwork uses and turns
// an API server's Forbidden answer into one line that says which
// permission is missing, so a user bound to too small a role learns what
// to ask for instead of reading an authorizer's message. deploy/rbac/ grants
// exactly the permissions the commands use; preflight checks them before
// apply sends anything.
package access
