package wait_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/virtwork/kubectl-virtwork/pkg/wait"
	"github.com/virtwork/kubectl-virtwork/test/runs"
	"github.com/virtwork/kubectl-virtwork/test/simulator"
)

// dropProxy forwards TCP to the API server and can cut every open
// connection at once, as a load balancer restart or a network blip would.
type dropProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	cuts  int
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

// cut closes every connection open now.
func (p *dropProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.cuts++
}

// TestWaitSurvivesDroppedWatches: every connection of the wait is cut
// while VMs are still starting; the watches resume and the wait still
// sees every VM reach Running.
func TestWaitSurvivesDroppedWatches(t *testing.T) {
	e := newEnv(t, simulator.Options{StepDelay: 400 * time.Millisecond})
	b := runs.Bundle(t, e.ns, "--workloads", "cpu,disk", "--vm-count", "5")
	e.deploy(t, b.Objects())

	u, err := url.Parse(e.cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDropProxy(t, u.Host)
	cfg := rest.CopyConfig(e.cfg)
	cfg.Host = "https://" + proxy.ln.Addr().String()
	cfg.TLSClientConfig.ServerName = u.Hostname()
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var once sync.Once
	res, err := wait.ForRun(ctx, client, wait.Options{
		Namespace: e.ns, RunID: b.RunID, Expected: b.VMNames(), DataVolumes: true,
		Tick: 50 * time.Millisecond,
		Progress: func(p wait.Progress) {
			if p.Reached > 0 && p.Reached < p.Total {
				once.Do(proxy.cut) // mid-run, with watches open
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if proxy.cuts < 1 {
		t.Fatal("the connections were never cut; the test proved nothing")
	}
	if c := res.Counts(); !res.Done || c.Reached != 10 {
		t.Fatalf("after the cut: done %v, counts %+v", res.Done, c)
	}
}
