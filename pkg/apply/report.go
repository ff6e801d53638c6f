package apply

import "time"

// Outcome is what applying one object did.
type Outcome string

// Outcomes. With a server-side dry run they say what would happen.
const (
	Created    Outcome = "created"
	Configured Outcome = "configured"
	Unchanged  Outcome = "unchanged"
	// Existing: a namespace that was there before the run; it is used as
	// it is and never claimed.
	Existing Outcome = "existing"
	Failed   Outcome = "failed"
)

// Result is one object's outcome.
type Result struct {
	Kind, Namespace, Name string
	Outcome               Outcome
	Err                   error
	// At is when the object's apply finished.
	At time.Time
}

// Ref is "Kind namespace/name".
func (r Result) Ref() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Report is everything an Apply attempted.
type Report struct {
	Results []Result
	// NotAttempted counts objects left alone after a hard error or an
	// interrupt.
	NotAttempted int
}

// Counts returns, per kind, how many objects had each outcome.
func (r *Report) Counts() map[string]map[Outcome]int {
	out := map[string]map[Outcome]int{}
	for _, res := range r.Results {
		if out[res.Kind] == nil {
			out[res.Kind] = map[Outcome]int{}
		}
		out[res.Kind][res.Outcome]++
	}
	return out
}

// Failures returns the failed results.
func (r *Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Outcome == Failed {
			out = append(out, res)
		}
	}
	return out
}

// AppliedAt returns when each object of kind was applied, by name.
func (r *Report) AppliedAt(kind string) map[string]time.Time {
	out := map[string]time.Time{}
	for _, res := range r.Results {
		if res.Kind == kind && res.Outcome != Failed {
			out[res.Name] = res.At
		}
	}
	return out
}
