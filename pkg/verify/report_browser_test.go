package verify

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virtwork/kubectl-virtwork/test/tools"
)

var screenshotCopy = flag.String("report-screenshot", "", "copy the report's screenshot here (docs/verify-report.png)")

// consoleLine is how Chromium logs a page's console messages to stderr
// (--enable-logging=stderr): uncaught exceptions and Content Security
// Policy violations among them. Its own errors (D-Bus and the like) are
// not console lines.
var consoleLine = regexp.MustCompile(`(?m)^.*:CONSOLE[:(].*$`)

// chromium opens page in headless Chromium with args and returns what it
// printed and the page's console lines. It runs in a process group of its
// own, killed whole when it outlasts its deadline, and the test fails if a
// process of it is still running afterwards.
func chromium(t *testing.T, bin, page string, args ...string) (stdout string, console []string) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errOut, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errOut.Close()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
	cmd := exec.CommandContext(ctx, bin, append(all, "file://"+page)...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	runErr := cmd.Run()
	if cmd.Process != nil {
		endGroup(t, cmd.Process.Pid)
	}
	stdoutData, _ := os.ReadFile(out.Name())
	stderrData, _ := os.ReadFile(errOut.Name())
	if ctx.Err() != nil {
		t.Fatalf("chromium %s did not finish in time:\n%s", strings.Join(args, " "), stderrData)
	}
	if runErr != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), runErr, stderrData)
	}
	return string(stdoutData), consoleLine.FindAllString(string(stderrData), -1)
}

// endGroup kills what is left of the process group pgid and waits until
// none of it runs (zombies aside: a container's init may never reap them).
func endGroup(t *testing.T, pgid int) {
	t.Helper()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := running(pgid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium's processes %v still run after SIGKILL", left)
		}
		time.Sleep(50 * time.Millisecond) // polling /proc for the condition, with a deadline
	}
}

// running lists the processes of group pgid that are not zombies.
func running(pgid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []string
	for _, p := range stats {
		data, err := os.ReadFile(p)
		i := bytes.LastIndexByte(data, ')')
		if err != nil || i < 0 {
			continue
		}
		// After the command's name: state, ppid, pgrp.
		var state string
		var ppid, pgrp int
		if _, err := fmt.Sscan(string(data[i+1:]), &state, &ppid, &pgrp); err == nil && pgrp == pgid && state != "Z" {
			out = append(out, filepath.Base(filepath.Dir(p)))
		}
	}
	return out
}

var svgChartTag = regexp.MustCompile(`<svg [^>]*class="chart"`)

// TestReportInChromium opens the report in headless Chromium: the page
// must load without a console message (no script error, nothing its
// policy blocked), show one chart per workload with signals, and render
// to a screenshot that is not blank.
func TestReportInChromium(t *testing.T) {
	bin := tools.Require(t, "chromium")
	page := filepath.Join(t.TempDir(), "report.html")
	var b bytes.Buffer
	r := reportResult()
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console := chromium(t, bin, page, "--dump-dom")
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	workloads := map[string]bool{}
	for _, s := range r.Signals {
		workloads[s.Workload] = true
	}
	if got := len(svgChartTag.FindAllString(dom, -1)); got != len(workloads) || !strings.Contains(dom, "</html>") {
		t.Errorf("Chromium's DOM has %d svg.chart, want %d (one per workload with signals); DOM of %d bytes", got, len(workloads), len(dom))
	}
	if got := strings.Count(dom, `<rect class="event ev-`); got != len(r.Continuity) {
		t.Errorf("Chromium's DOM marks %d disruptions on the charts, want %d", got, len(r.Continuity))
	}
	shot := filepath.Join(t.TempDir(), "report.png")
	if _, console := chromium(t, bin, page, "--screenshot="+shot, "--window-size=1400,2000", "--hide-scrollbars"); len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	checkScreenshot(t, shot)
	if *screenshotCopy != "" {
		data, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(*screenshotCopy, data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkScreenshot: a 1400×2000 PNG with more than a few colours (a blank
// or error page has one or two).
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1400 || b.Dy() != 2000 {
		t.Errorf("the screenshot is %dx%d, want 1400x2000", b.Dx(), b.Dy())
	}
	colours := map[[4]uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 50 {
		t.Errorf("the screenshot has %d colours: blank, or not the report", len(colours))
	}
}

// TestChromiumCheckSeesPageErrors proves the console check can fail: a
// script error, and an image fetched from the network under the report's
// own Content-Security-Policy, both show as console lines; the report
// itself shows none (TestReportInChromium).
func TestChromiumCheckSeesPageErrors(t *testing.T) {
	bin := tools.Require(t, "chromium")
	var report bytes.Buffer
	if err := WriteHTML(&report, reportResult()); err != nil {
		t.Fatal(err)
	}
	fetching := strings.Replace(report.String(), "</main>", `<img src="http://127.0.0.1:9/x.png" alt=""></main>`, 1)
	for name, c := range map[string]struct{ html, want string }{
		"script error": {"<!DOCTYPE html><title>x</title><p>x</p><script>noSuchFunction();</script>", "Uncaught ReferenceError"},
		"fetch":        {fetching, "violates the following Content Security Policy directive"},
	} {
		page := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(page, []byte(c.html), 0o644); err != nil {
			t.Fatal(err)
		}
		_, console := chromium(t, bin, page, "--dump-dom")
		if len(console) == 0 || !strings.Contains(strings.Join(console, "\n"), c.want) {
			t.Errorf("%s: console lines %q, want one with %q", name, console, c.want)
		}
	}
}
