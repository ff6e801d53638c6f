package prom

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
)

// TestRequire starts a real Prometheus on two targets, one healthy and one
// answering 500, with a recording rule, and reads back through the API
// what it scraped and recorded by the time Require returned.
func TestRequire(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "virtwork_test_ticks_total", Help: "Ticks."})
	c.Add(42)
	reg.MustRegister(c)
	mux := http.NewServeMux()
	mux.Handle("/good/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/bad/metrics", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down on purpose", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	rules := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(rules, []byte(`groups:
- name: test
  rules:
  - record: job:virtwork_test_ticks:sum
    expr: sum by (job) (virtwork_test_ticks_total)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Require(t, Options{
		Jobs: []Job{{Name: "sim", Targets: []Target{
			{URL: srv.URL + "/good/metrics", Labels: map[string]string{"node": "good"}},
			{URL: srv.URL + "/bad/metrics", Labels: map[string]string{"node": "bad"}},
		}}},
		RuleFiles: []string{rules},
	})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, want a loopback URL", s.URL())
	}

	got := map[string]float64{}
	for _, q := range []string{`up{node="good"}`, `up{node="bad"}`, `job:virtwork_test_ticks:sum{job="sim"}`} {
		v, _, _, err := s.API().Query(t.Context(), q, time.Now())
		if err != nil {
			t.Fatalf("query %s: %v", q, err)
		}
		vec, ok := v.(model.Vector)
		if !ok || len(vec) != 1 {
			t.Fatalf("query %s = %v, want one sample", q, v)
		}
		got[q] = float64(vec[0].Value)
	}
	want := map[string]float64{`up{node="good"}`: 1, `up{node="bad"}`: 0, `job:virtwork_test_ticks:sum{job="sim"}`: 42}
	for q, w := range want {
		if got[q] != w {
			t.Errorf("%s = %v, want %v", q, got[q], w)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	data, err := configYAML(Options{
		Interval:  1500 * time.Millisecond,
		RuleFiles: []string{"/r.yml"},
		Jobs: []Job{{Name: "kubevirt", HonorLabels: true, Targets: []Target{
			{URL: "http://127.0.0.1:9000/nodes/a/metrics", Labels: map[string]string{"node": "a"}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `global:
  evaluation_interval: 1s500ms
  scrape_interval: 1s500ms
  scrape_timeout: 1s500ms
rule_files:
- /r.yml
scrape_configs:
- honor_labels: true
  job_name: kubevirt
  static_configs:
  - labels:
      __metrics_path__: /nodes/a/metrics
      node: a
    targets:
    - 127.0.0.1:9000
`
	if string(data) != want {
		t.Errorf("configYAML() =\n%s\nwant\n%s", data, want)
	}
	if _, err := configYAML(Options{Jobs: []Job{{Name: "x", Targets: []Target{{URL: "127.0.0.1:9000"}}}}}); err == nil {
		t.Error("configYAML() accepted a target URL without a scheme")
	}
}
