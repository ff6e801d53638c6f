package verify

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPoints: a series up to maxPoints long is kept whole; a longer one
// keeps every n-th sample from the first, so it stays at most maxPoints
// long and still spans the window.
func TestPoints(t *testing.T) {
	if got := points(nil); len(got) != 0 {
		t.Errorf("no samples: %v", got)
	}
	short := series(start, start.Add(9*time.Second), func(t time.Time) float64 { return float64(t.Sub(start) / time.Second) })
	got := points(short)
	if len(got) != 10 || !got[0].T.Equal(start) || got[9].V != 9 {
		t.Errorf("10 samples: %v", got)
	}
	for _, n := range []int{maxPoints, maxPoints + 1, 3*maxPoints + 7} {
		long := series(start, start.Add(time.Duration(n-1)*time.Second), func(time.Time) float64 { return 1 })
		got := points(long)
		every := (n + maxPoints - 1) / maxPoints
		if len(got) > maxPoints || len(got) != (n+every-1)/every {
			t.Errorf("%d samples: kept %d, want every %d-th, at most %d", n, len(got), every, maxPoints)
		}
		if !got[0].T.Equal(start) || got[1].T.Sub(got[0].T) != time.Duration(every)*time.Second {
			t.Errorf("%d samples: first %s, step %s", n, got[0].T, got[1].T.Sub(got[0].T))
		}
		if end := long[len(long)-1].t; end.Sub(got[len(got)-1].T) >= time.Duration(every)*time.Second {
			t.Errorf("%d samples: the last kept %s is more than a stride before the end %s", n, got[len(got)-1].T, end)
		}
	}
}

// TestSpans: firing samples a step apart join; a gap longer than the step
// starts a new span; a lone sample is a span of no length.
func TestSpans(t *testing.T) {
	at := func(secs ...int) []sample {
		var out []sample
		for _, s := range secs {
			out = append(out, sample{start.Add(time.Duration(s) * time.Second), 1})
		}
		return out
	}
	span := func(from, to int) Span {
		return Span{From: start.Add(time.Duration(from) * time.Second), To: start.Add(time.Duration(to) * time.Second)}
	}
	cases := []struct {
		name   string
		firing []sample
		step   time.Duration
		want   []Span
	}{
		{"none", nil, time.Second, nil},
		{"one", at(5), time.Second, []Span{span(5, 5)}},
		{"contiguous", at(1, 2, 3, 4), time.Second, []Span{span(1, 4)}},
		{"a gap", at(1, 2, 3, 7, 8), time.Second, []Span{span(1, 3), span(7, 8)}},
		{"a gap within the step", at(0, 2, 4, 10), 2 * time.Second, []Span{span(0, 4), span(10, 10)}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, spans(c.firing, c.step)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}
