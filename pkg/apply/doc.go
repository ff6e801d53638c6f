// Package apply sends a rendered run to the cluster with server-side apply:
// kind by kind in the bundle's order (Namespace, Services, Secrets,
// VirtualMachines), the objects of one kind through a bounded pool of
// workers, each object exactly once per attempt. Only requests that are
// safe to repeat are retried (an apply PATCH is idempotent): by client-go
// when the server asked with Retry-After, by pkg/retry's backoff for the
// other faults, never by both; a hard error stops new work, and the Report
// says what was created, configured, left unchanged, and what failed and
// why.
package apply
