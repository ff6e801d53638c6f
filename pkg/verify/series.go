package verify

import "time"

// Series is one VM's observed signal over the window.
type Series struct {
	Workload string  `json:"workload"`
	Signal   string  `json:"signal"`
	VM       string  `json:"vm"`
	Unit     string  `json:"unit"`
	Points   []Point `json:"points"`
}

// Point is one sample.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// Firing is when an alert fired for one VM.
type Firing struct {
	Alert    string `json:"alert"`
	Workload string `json:"workload"`
	VM       string `json:"vm"`
	Spans    []Span `json:"spans"`
}

// Span is a stretch of time.
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// maxPoints bounds a kept series: longer ones keep every n-th sample.
const maxPoints = 600

func points(got []sample) []Point {
	every := (len(got) + maxPoints - 1) / maxPoints
	var out []Point
	for i := 0; i < len(got); i += max(every, 1) {
		out = append(out, Point{got[i].t, got[i].v})
	}
	return out
}

// spans joins firing samples a step apart into spans.
func spans(firing []sample, step time.Duration) []Span {
	var out []Span
	for _, s := range firing {
		if n := len(out); n > 0 && s.t.Sub(out[n-1].To) <= step {
			out[n-1].To = s.t
			continue
		}
		out = append(out, Span{From: s.t, To: s.t})
	}
	return out
}
