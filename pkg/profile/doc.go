// Package profile is the one definition of load shapes: how a workload's
// level (in its own unit: percent of a vCPU, IOPS, Mbit/s...) moves over
// time. It parses a profile from either spelling with the same checks,
// turns it into a Schedule (a table of segments), says which level that
// table gives at any instant (Schedule.At), and writes the table as the
// schedule file a guest reads with templates/lib/virtwork-level.sh, which
// only indexes the table, so the renderer, plan and the guest cannot
// disagree. It is pure: no clock (callers pass now), no I/O, no cluster.
//
// # Spellings
//
// The flag form SHAPE[:KEY=VALUE,...] follows --profile WORKLOAD=:
//
//	square:high=90,low=10,period=10m,duty=50
//	steps:levels=20@5m/50@5m/90@10m,repeat=true
//	spike:base=10,peak=100,every=15m,length=1m,spread=random
//
// A config file gives the same keys as a mapping, {shape: square, high: 90,
// low: 10, period: 10m}, or the flag form as a string. Both become the same
// key/value pairs checked by the same code, and every error is one line
// that starts with the source the caller named (the flag, or the file's
// "file:line: workloads.cpu.profile.period") and says how to fix it.
//
// # Shapes
//
// Levels are integers: 0 (idle) or within the workload's [min, max]; "the
// workload's level" is its declared default. A level param at 0 (disk,
// database and network: unlimited when no schedule plays) is no level to
// hold, so then the key that defaults to it (level, high, to, peak, max)
// must be given. Durations are whole seconds, written as Go durations with
// days in front (90s, 10m, 1h30m, 2d).
//
//	shape     key      default               range / rule
//	constant  level    the workload's level  0 or [min, max]
//	square    high     the workload's level  0 or [min, max]
//	          low      0                     0 or [min, max], not above high
//	          period   10m                   10s-7d
//	          duty     50                    1-99: percent of each period at
//	                                         high (rounded to a second, at
//	                                         least 1s of each), high first
//	ramp      from     0                     0 or [min, max]
//	          to       the workload's level  0 or [min, max]
//	          over     10m                   10s-7d
//	          then     hold                  hold (stay at to) or repeat
//	                                         (from again after over)
//	spike     base     0                     0 or [min, max], not above peak
//	          peak     the workload's level  0 or [min, max]
//	          every    15m                   10s-7d
//	          length   1m                    1s-7d, shorter than every; peak
//	                                         first, then base
//	steps     levels   (required)            1-100 LEVEL@DURATION separated
//	                                         by /, each 10s-7d
//	          repeat   false                 true (start again) or false
//	                                         (hold the last level)
//	sine      min      0                     0 or [min, max], not above max
//	          max      the workload's level  0 or [min, max]
//	          period   10m                   10s-7d; starts at min
//	any       spread   none                  none, random (repeating shapes
//	                                         only), jitter=DURATION (1s-7d)
//
// A ramp climbs in n equal stairs (to the second) over "over", the first at
// from and the last at to, n = min(60, seconds of over, |to-from|+1). A sine
// is sampled every max(period/60, 5s), rounded to whole seconds, each
// sample held until the next. Computed levels between 0 and the workload's
// min are raised to min.
//
// # Spread and timing
//
// A VM's phase (Phase) comes from the run id and its name: none is 0,
// random is in [0, cycle), jitter=D is in [0, D). A VM plays its schedule
// phase seconds behind a VM of phase 0: a repeating schedule is already
// under way at the start (at the position the previous cycle had reached),
// one that does not repeat stays idle until start+phase. The run's Timing
// (--start-at, --duration) is the
// same for every VM: idle (level 0) before the start, finished (level 0 for
// good) after start+duration.
//
// # Schedule file
//
// File writes, and virtwork-level.sh and ParseFile read, lines of fixed
// words, unsigned decimal numbers (no sign, no leading zero, at most 10
// digits) and a run id, each ending in a newline:
//
//	virtwork-schedule 1      format version
//	start 1767225600         unix seconds, or "boot": the guest's first reading
//	duration 3600            seconds, or "never"
//	phase 0                  seconds, or "hash RUNID BOUND" (below)
//	cycle 600                seconds; 0: no repeat, the last segment holds
//	0 90                     OFFSET LEVEL, offsets from 0, rising, below cycle
//	300 10
//
// Durations, the phase and BOUND are at most 2^32 seconds. With a spread
// the phase line is "phase hash RUNID BOUND" (PhaseRule): RUNID is the run
// id (1-64 lowercase letters, digits and '-', not starting with '-'),
// BOUND the cycle (random) or the jitter (jitter=D) in seconds, at least
// 1. Each VM computes its own phase from it exactly as Phase does: the
// first 8 bytes of SHA-256(RUNID NUL NAME), big-endian, modulo BOUND, NAME
// being the guest's hostname up to its first dot. That is the VM's name:
// KubeVirt sets a VMI's hostname to its name cut at the first dot and at
// 63 characters, and virtwork's VM names are DNS labels of at most 63 (no
// dot). So every VM of a workload reads the same file, and a spread costs
// no user-data Secret per VM.
//
// The reader prints "LEVEL SECONDS_UNTIL_NEXT_CHANGE STATE" (-1 for never;
// idle, running or finished), the same as Schedule.At.
package profile
