// Package plan is the expected-signal model of a run: for each workload,
// how its level moves over a window (its profile in canonical form, start,
// end, every VM's segments and the aggregate over the VMs), built from the
// resolved config and render's VM names with pkg/profile's Schedule, Phase
// and At, the one definition of load shapes, so what plan shows is what
// render writes and the guests do. It is pure like pkg/render: it reads no
// clock; a run without --start-at starts when each guest boots, which the
// model states as offsets from boot. `kubectl virtwork plan` prints it as a
// terminal chart (Write) or JSON (WriteJSON), which verify reads.
package plan
