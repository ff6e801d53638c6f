// Package prom runs a real Prometheus (the binary of Debian's prometheus
// package) on 127.0.0.1 for the tests and the dev cluster: its own storage
// directory, 1s scrape and evaluation intervals, static scrape targets
// (the simulator's virt-handler and virt-controller endpoints) and rule
// files. Start returns once it is ready and has scraped every target and
// evaluated every rule once, so a test's first query already sees data.
// Queries go through the Prometheus API client, as verify's do.
package prom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/virtwork/kubectl-virtwork/test/process"
)

// DefaultInterval is the scrape and evaluation interval when Options leave
// it unset: short, so a test sees a load change within seconds.
const DefaultInterval = time.Second

// readyTimeout bounds the start: process up, /-/ready, first scrapes.
const readyTimeout = 2 * time.Minute

// Job is one scrape config: its name (the job label) and its targets.
type Job struct {
	Name string
	// HonorLabels keeps the scraped labels on a clash with the target's,
	// as KubeVirt's ServiceMonitor asks (honorLabels: true).
	HonorLabels bool
	Targets     []Target
}

// Target is one endpoint to scrape.
type Target struct {
	// URL is the full http URL of the metrics, path included.
	URL string
	// Labels are added to every series of the target and to its up.
	Labels map[string]string
}

// Options configure Start.
type Options struct {
	// Bin is the prometheus binary; "prometheus" on PATH when empty.
	Bin string
	// Dir receives the configuration, the TSDB and the log. Required.
	Dir  string
	Jobs []Job
	// RuleFiles are loaded as they are (recording and alerting rules).
	RuleFiles []string
	// Interval is the scrape and the evaluation interval;
	// DefaultInterval when zero.
	Interval time.Duration
	// KillWithParent has the kernel kill Prometheus when this process
	// dies, so a test binary that panics leaves nothing behind.
	KillWithParent bool
}

// Server is a running Prometheus. Stop it exactly once.
type Server struct {
	proc *process.Process
	url  string
	api  promv1.API
}

// URL is the base URL of the server, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// API is a client of the server's HTTP API.
func (s *Server) API() promv1.API { return s.api }

// PID is the process id of the prometheus process.
func (s *Server) PID() int { return s.proc.PID() }

// LogPath is the file that receives Prometheus's log.
func (s *Server) LogPath() string { return s.proc.LogPath() }

// Stop stops Prometheus by its PID (SIGTERM, then SIGKILL) and waits for it.
func (s *Server) Stop() error { return s.proc.Stop() }

// Start writes the configuration, starts Prometheus on a free port and
// waits until it is ready, every target has been scraped once (up or down)
// and every rule evaluated once.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("prom: Options.Dir is required")
	}
	if opts.Bin == "" {
		opts.Bin = "prometheus"
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	config := filepath.Join(opts.Dir, "prometheus.yml")
	data, err := configYAML(opts)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(config, data, 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", config, err)
	}
	args := func(ports []int) []string {
		return []string{
			"--config.file=" + config,
			"--storage.tsdb.path=" + filepath.Join(opts.Dir, "data"),
			"--web.listen-address=127.0.0.1:" + strconv.Itoa(ports[0]),
		}
	}
	ready := func(ctx context.Context, ports []int) error {
		return httpReady(ctx, "http://127.0.0.1:"+strconv.Itoa(ports[0])+"/-/ready")
	}
	proc, ports, err := process.StartServer(ctx, process.Server{
		Name: "prometheus", Bin: opts.Bin, Ports: 1, Args: args, Ready: ready,
		ReadyTimeout: readyTimeout, LogPath: filepath.Join(opts.Dir, "prometheus.log"),
		KillWithParent: opts.KillWithParent,
	})
	if err != nil {
		return nil, err
	}
	s := &Server{proc: proc, url: "http://127.0.0.1:" + strconv.Itoa(ports[0])}
	client, err := api.NewClient(api.Config{Address: s.url})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("creating the Prometheus API client: %w", err), s.Stop())
	}
	s.api = promv1.NewAPI(client)
	if err := s.waitFirstRound(ctx, countTargets(opts.Jobs)); err != nil {
		return nil, errors.Join(proc.Failure(err), s.Stop())
	}
	return s, nil
}

func countTargets(jobs []Job) int {
	n := 0
	for _, j := range jobs {
		n += len(j.Targets)
	}
	return n
}

// waitFirstRound waits until every target has been scraped at least once
// and then every rule evaluated, so recording rules have seen the data.
func (s *Server) waitFirstRound(ctx context.Context, targets int) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var scraped time.Time
	var last error
	err := utilwait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		if s.proc.Exited() {
			return false, errors.New("exited")
		}
		if scraped.IsZero() {
			scraped, last = s.scrapedOnce(ctx, targets)
			if last != nil {
				return false, nil
			}
		}
		last = s.evaluatedSince(ctx, scraped)
		return last == nil, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("waiting for the first scrape and evaluation: %w (last check: %v)", err, last)
	}
	return err
}

// scrapedOnce returns when the last of the targets' first scrapes ended,
// once each has one.
func (s *Server) scrapedOnce(ctx context.Context, targets int) (time.Time, error) {
	tr, err := s.api.Targets(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if len(tr.Active) != targets {
		return time.Time{}, fmt.Errorf("%d active targets, want %d", len(tr.Active), targets)
	}
	var end time.Time
	for _, t := range tr.Active {
		if t.LastScrape.IsZero() || t.Health == promv1.HealthUnknown {
			return time.Time{}, fmt.Errorf("target %s not scraped yet", t.ScrapeURL)
		}
		if e := t.LastScrape.Add(time.Duration(t.LastScrapeDuration * float64(time.Second))); e.After(end) {
			end = e
		}
	}
	return end, nil
}

// evaluatedSince checks that every rule was last evaluated after t.
func (s *Server) evaluatedSince(ctx context.Context, t time.Time) error {
	rr, err := s.api.Rules(ctx, nil)
	if err != nil {
		return err
	}
	for _, g := range rr.Groups {
		for _, r := range g.Rules {
			var at time.Time
			var name string
			switch r := r.(type) {
			case promv1.RecordingRule:
				at, name = r.LastEvaluation, r.Name
			case promv1.AlertingRule:
				at, name = r.LastEvaluation, r.Name
			}
			if !at.After(t) {
				return fmt.Errorf("rule %s of group %s not evaluated since the first scrapes", name, g.Name)
			}
		}
	}
	return nil
}

func httpReady(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return nil
}

// configYAML is the prometheus.yml of opts. A target's path travels in
// the __metrics_path__ label, so the targets of one job may differ in path.
func configYAML(opts Options) ([]byte, error) {
	type staticConfig struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels,omitempty"`
	}
	type scrapeConfig struct {
		JobName       string         `json:"job_name"`
		HonorLabels   bool           `json:"honor_labels,omitempty"`
		StaticConfigs []staticConfig `json:"static_configs"`
	}
	interval := model.Duration(opts.Interval).String()
	cfg := struct {
		Global        map[string]string `json:"global"`
		RuleFiles     []string          `json:"rule_files,omitempty"`
		ScrapeConfigs []scrapeConfig    `json:"scrape_configs"`
	}{
		Global:    map[string]string{"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
		RuleFiles: opts.RuleFiles,
	}
	for _, j := range opts.Jobs {
		sc := scrapeConfig{JobName: j.Name, HonorLabels: j.HonorLabels}
		for _, t := range j.Targets {
			u, err := url.Parse(t.URL)
			if err != nil || u.Scheme != "http" || u.Host == "" {
				return nil, fmt.Errorf("prom: target URL %q of job %s must be http://HOST:PORT/PATH", t.URL, j.Name)
			}
			labels := map[string]string{"__metrics_path__": u.EscapedPath()}
			for k, v := range t.Labels {
				labels[k] = v
			}
			sc.StaticConfigs = append(sc.StaticConfigs, staticConfig{Targets: []string{u.Host}, Labels: labels})
		}
		cfg.ScrapeConfigs = append(cfg.ScrapeConfigs, sc)
	}
	return yaml.Marshal(cfg)
}
