package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in      string
		want    []Threshold
		wantErr string
	}{
		{in: "running:p95=3m", want: []Threshold{{"running", "p95", 3 * time.Minute}}},
		{in: " ready:max=90s ", want: []Threshold{{"ready", "max", 90 * time.Second}}},
		{in: "scheduled:p50=1s", want: []Threshold{{"scheduled", "p50", time.Second}}},
		{in: "running=3m", wantErr: `"running=3m" has no PHASE:`},
		{in: "running:p95", wantErr: `"running:p95" has no =DURATION`},
		{in: "booted:p95=3m", wantErr: `unknown phase "booted"`},
		{in: "running:p90=3m", wantErr: `unknown quantile "p90"`},
		{in: "running:p95=3", wantErr: `has "3" for a limit`},
		{in: "running:p95=-1s", wantErr: `has "-1s" for a limit`},
	}
	for _, tt := range tests {
		got, err := parseThreshold(tt.in, "--threshold")
		if tt.wantErr != "" {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "--threshold: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want one naming --threshold and containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.in, diff)
		}
	}
}
