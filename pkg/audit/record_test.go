package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// at returns t0 plus d: readable distinct instants for a test.
func at(d time.Duration) time.Time { return t0.Add(d) }

func TestRoundTrip(t *testing.T) {
	ctx := t.Context()
	finished := at(time.Hour)
	s := openTest(t, finished)

	inv := Invocation{
		ID:          99,        // ignored: Start assigns
		Status:      Succeeded, // ignored: Start sets InProgress
		RunID:       "0b8a1f52-5b4e-4a4e-9a55-3f3c1d7c2e01",
		Command:     CommandApply,
		StartedAt:   t0,
		KubeContext: "kind-virt",
		Server:      "https://127.0.0.1:6443",
		Namespace:   "virtwork",
		Image:       "quay.io/containerdisks/fedora:42",
		Workloads:   []string{"cpu", "database"},
		Options:     map[string]string{"vm-count": "2", "ssh-auth": "true", "note": "ünïcode, 'quotes' and \"json\""},
		Counts:      map[string]int{"vms/requested": 2},
	}
	id, err := s.Start(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	objs := []Object{
		{Kind: "Namespace", Name: "virtwork", Outcome: "unchanged", At: at(time.Second)},
		{Kind: "VirtualMachine", Namespace: "virtwork", Name: "cpu-1", Outcome: "created", At: at(2 * time.Second)},
		{Kind: "VirtualMachine", Namespace: "virtwork", Name: "database-1", Outcome: "failed", Error: "admission webhook denied"},
	}
	if err := s.RecordObjects(ctx, id, objs[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordObjects(ctx, id, objs[2:]); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordVMs(ctx, id, []VM{
		{Name: "database-1", CreatedAt: at(3 * time.Second), FailedAt: at(9 * time.Second), Reason: "ErrImagePull"},
		{Name: "cpu-1", CreatedAt: at(3 * time.Second)},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordVMs(ctx, id, []VM{{Name: "cpu-1", RunningAt: at(40 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	// Recorded out of order; read back in time order.
	if err := s.Event(ctx, id, at(50*time.Second), "1/2 VMs ready"); err != nil {
		t.Fatal(err)
	}
	if err := s.Event(ctx, id, at(4*time.Second), "applied 3 objects"); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, id, NotReady, map[string]int{"VirtualMachine/created": 1, "vms/ready": 1}, "database-1: ErrImagePull"); err != nil {
		t.Fatal(err)
	}

	wantInv := inv
	wantInv.ID = id
	wantInv.Status = NotReady
	wantInv.FinishedAt = finished
	wantInv.Counts = map[string]int{"VirtualMachine/created": 1, "vms/ready": 1}
	wantInv.Error = "database-1: ErrImagePull"
	wantObjs := append([]Object(nil), objs...)
	wantObjs[2].At = finished // zero At: the store's clock
	want := &Detail{
		Invocation: wantInv,
		Objects:    wantObjs,
		VMs: []VM{
			{Name: "cpu-1", CreatedAt: at(3 * time.Second), RunningAt: at(40 * time.Second)},
			{Name: "database-1", CreatedAt: at(3 * time.Second), FailedAt: at(9 * time.Second), Reason: "ErrImagePull"},
		},
		Events: []EventRecord{
			{At: at(4 * time.Second), Message: "applied 3 objects"},
			{At: at(50 * time.Second), Message: "1/2 VMs ready"},
		},
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get(%d) (-want +got):\n%s", id, diff)
	}
	// Times come back in UTC, not merely as the same instant.
	if loc := got.Invocation.StartedAt.Location(); loc != time.UTC {
		t.Errorf("StartedAt location = %v, want UTC", loc)
	}
}

func TestStartDefaults(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, t0)
	id, err := s.Start(ctx, Invocation{Command: CommandCleanup})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &Detail{Invocation: Invocation{ID: id, Command: CommandCleanup, Status: InProgress, StartedAt: t0}}
	// Nil and empty lists and maps are not told apart on the way back.
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Get(%d) (-want +got):\n%s", id, diff)
	}
}

func TestRecordVMsMerges(t *testing.T) {
	tests := []struct {
		name  string
		calls [][]VM
		want  []VM
	}{
		{
			name:  "steps reported one at a time",
			calls: [][]VM{{{Name: "vm", CreatedAt: at(1)}}, {{Name: "vm", RunningAt: at(2)}}},
			want:  []VM{{Name: "vm", CreatedAt: at(1), RunningAt: at(2)}},
		},
		{
			name:  "a later time replaces an earlier one",
			calls: [][]VM{{{Name: "vm", CreatedAt: at(1)}}, {{Name: "vm", CreatedAt: at(5)}}},
			want:  []VM{{Name: "vm", CreatedAt: at(5)}},
		},
		{
			name: "empty reason keeps the recorded one",
			calls: [][]VM{
				{{Name: "vm", FailedAt: at(3), Reason: "Unschedulable"}},
				{{Name: "vm", CreatedAt: at(1)}},
			},
			want: []VM{{Name: "vm", CreatedAt: at(1), FailedAt: at(3), Reason: "Unschedulable"}},
		},
		{
			name: "new reason replaces the recorded one",
			calls: [][]VM{
				{{Name: "vm", Reason: "Pending"}},
				{{Name: "vm", Reason: "ErrImagePull"}},
			},
			want: []VM{{Name: "vm", Reason: "ErrImagePull"}},
		},
		{
			name:  "VMs sorted by name",
			calls: [][]VM{{{Name: "b"}, {Name: "a"}}},
			want:  []VM{{Name: "a"}, {Name: "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s := openTest(t, t0)
			id, err := s.Start(ctx, Invocation{RunID: "r", Command: CommandApply})
			if err != nil {
				t.Fatal(err)
			}
			for _, vms := range tt.calls {
				if err := s.RecordVMs(ctx, id, vms); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.VMs); diff != "" {
				t.Errorf("VMs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinish(t *testing.T) {
	tests := []struct {
		name       string
		counts     map[string]int
		wantCounts map[string]int
	}{
		{name: "nil counts keep Start's", counts: nil, wantCounts: map[string]int{"vms/requested": 3}},
		{name: "counts replace Start's", counts: map[string]int{"vms/ready": 3}, wantCounts: map[string]int{"vms/ready": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s := openTest(t, at(time.Minute))
			id, err := s.Start(ctx, Invocation{RunID: "r", Command: CommandApply, StartedAt: t0, Counts: map[string]int{"vms/requested": 3}})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Finish(ctx, id, Succeeded, tt.counts, ""); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := Invocation{ID: id, RunID: "r", Command: CommandApply, Status: Succeeded, StartedAt: t0, FinishedAt: at(time.Minute), Counts: tt.wantCounts}
			if diff := cmp.Diff(want, got.Invocation); diff != "" {
				t.Errorf("invocation (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvalidWrites(t *testing.T) {
	const missing = 4242
	tests := []struct {
		name      string
		call      func(ctx context.Context, s *Store, id int64) error
		wantIs    error
		wantInErr string
	}{
		{
			name: "Start without a command",
			call: func(ctx context.Context, s *Store, _ int64) error {
				_, err := s.Start(ctx, Invocation{RunID: "r"})
				return err
			},
			wantInErr: "starting invocation: empty command",
		},
		{
			name:      "Finish as in progress",
			call:      func(ctx context.Context, s *Store, id int64) error { return s.Finish(ctx, id, InProgress, nil, "") },
			wantInErr: `status must be "succeeded", "failed", "interrupted", "not ready" or "threshold exceeded", got "in progress"`,
		},
		{
			name:      "Finish with a made-up status",
			call:      func(ctx context.Context, s *Store, id int64) error { return s.Finish(ctx, id, "done", nil, "") },
			wantInErr: `got "done"`,
		},
		{
			name:   "Finish unknown invocation",
			call:   func(ctx context.Context, s *Store, _ int64) error { return s.Finish(ctx, missing, Failed, nil, "") },
			wantIs: ErrNotFound,
		},
		{
			name: "RecordObjects unknown invocation",
			call: func(ctx context.Context, s *Store, _ int64) error {
				return s.RecordObjects(ctx, missing, []Object{{Kind: "VirtualMachine", Name: "x"}})
			},
			wantIs:    ErrNotFound,
			wantInErr: "recording 1 objects of invocation 4242 in ",
		},
		{
			name: "RecordVMs unknown invocation",
			call: func(ctx context.Context, s *Store, _ int64) error {
				return s.RecordVMs(ctx, missing, []VM{{Name: "x"}})
			},
			wantIs: ErrNotFound,
		},
		{
			name: "RecordVMs without a name",
			call: func(ctx context.Context, s *Store, id int64) error {
				return s.RecordVMs(ctx, id, []VM{{Name: "a"}, {}})
			},
			wantInErr: "VM with empty name",
		},
		{
			name:   "Event unknown invocation",
			call:   func(ctx context.Context, s *Store, _ int64) error { return s.Event(ctx, missing, t0, "x") },
			wantIs: ErrNotFound,
		},
		{
			name:   "LinkCleanup unknown invocation",
			call:   func(ctx context.Context, s *Store, _ int64) error { return s.LinkCleanup(ctx, missing, []string{"r"}) },
			wantIs: ErrNotFound,
		},
		{
			name:      "LinkCleanup empty run id",
			call:      func(ctx context.Context, s *Store, id int64) error { return s.LinkCleanup(ctx, id, []string{"r", ""}) },
			wantInErr: "empty run id",
		},
		{
			name: "Get unknown invocation",
			call: func(ctx context.Context, s *Store, _ int64) error {
				_, err := s.Get(ctx, missing)
				return err
			},
			wantIs:    ErrNotFound,
			wantInErr: "reading invocation 4242 from ",
		},
		{
			name: "Runs unknown run",
			call: func(ctx context.Context, s *Store, _ int64) error {
				_, err := s.Runs(ctx, "nope")
				return err
			},
			wantIs:    ErrNotFound,
			wantInErr: `reading run "nope" from `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s := openTest(t, t0)
			id, err := s.Start(ctx, Invocation{RunID: "r", Command: CommandCleanup})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(ctx, s, id)
			if err == nil {
				t.Fatal("got no error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q does not wrap %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantInErr)
			}
			// A failed batch leaves nothing behind.
			d, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Objects)+len(d.VMs)+len(d.Events)+len(d.Removed) != 0 || d.Invocation.Status != InProgress {
				t.Errorf("invocation changed by a failed write: %+v", d)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, t0)
	// Started out of insertion order, and two at the same instant: order
	// is by start time, then by ID.
	starts := []time.Time{at(2 * time.Second), at(1 * time.Second), at(3 * time.Second), at(3 * time.Second)}
	var ids []int64
	for i, started := range starts {
		id, err := s.Start(ctx, Invocation{RunID: fmt.Sprintf("run-%d", i), Command: CommandApply, StartedAt: started})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	newestFirst := []int64{ids[3], ids[2], ids[0], ids[1]}
	tests := []struct {
		limit int
		want  []int64
	}{
		{limit: 0, want: newestFirst},
		{limit: -1, want: newestFirst},
		{limit: 1, want: newestFirst[:1]},
		{limit: 3, want: newestFirst[:3]},
		{limit: 10, want: newestFirst},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit %d", tt.limit), func(t *testing.T) {
			invs, err := s.History(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, inv := range invs {
				got = append(got, inv.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("History(%d) IDs (-want +got):\n%s", tt.limit, diff)
			}
		})
	}
}

func TestRunsReapplyAndCleanup(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, t0)
	start := func(runID, command string, started time.Time) int64 {
		t.Helper()
		id, err := s.Start(ctx, Invocation{RunID: runID, Command: command, StartedAt: started})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	const x, y = "run-x", "run-y"
	apply1 := start(x, CommandApply, at(1*time.Minute))
	if err := s.RecordObjects(ctx, apply1, []Object{{Kind: "VirtualMachine", Name: "cpu-1", Outcome: "created", At: t0}}); err != nil {
		t.Fatal(err)
	}
	applyY := start(y, CommandApply, at(2*time.Minute))
	cleanupX := start(x, CommandCleanup, at(3*time.Minute))
	if err := s.LinkCleanup(ctx, cleanupX, []string{x}); err != nil {
		t.Fatal(err)
	}
	apply2 := start(x, CommandApply, at(4*time.Minute))
	if err := s.RecordObjects(ctx, apply2, []Object{{Kind: "VirtualMachine", Name: "cpu-1", Outcome: "created", At: t0}}); err != nil {
		t.Fatal(err)
	}
	cleanupAll := start("", CommandCleanup, at(5*time.Minute))
	// Linking twice is harmless.
	for range 2 {
		if err := s.LinkCleanup(ctx, cleanupAll, []string{y, x}); err != nil {
			t.Fatal(err)
		}
	}

	inv := func(id int64, runID, command string, started time.Time) Invocation {
		return Invocation{ID: id, RunID: runID, Command: command, Status: InProgress, StartedAt: started}
	}
	created := []Object{{Kind: "VirtualMachine", Name: "cpu-1", Outcome: "created", At: t0}}
	tests := []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{
			name: "Runs of a re-applied run",
			get:  func() (any, error) { return s.Runs(ctx, x) },
			want: []Detail{
				// The re-apply was removed only by the later cleanup.
				{Invocation: inv(apply2, x, CommandApply, at(4*time.Minute)), Objects: created, CleanedBy: []int64{cleanupAll}},
				{Invocation: inv(cleanupX, x, CommandCleanup, at(3*time.Minute)), Removed: []string{x}},
				{Invocation: inv(apply1, x, CommandApply, at(1*time.Minute)), Objects: created, CleanedBy: []int64{cleanupX, cleanupAll}},
			},
		},
		{
			name: "Runs of the other run",
			get:  func() (any, error) { return s.Runs(ctx, y) },
			want: []Detail{{Invocation: inv(applyY, y, CommandApply, at(2*time.Minute)), CleanedBy: []int64{cleanupAll}}},
		},
		{
			name: "Get of cleanup --all",
			get:  func() (any, error) { return s.Get(ctx, cleanupAll) },
			want: &Detail{Invocation: inv(cleanupAll, "", CommandCleanup, at(5*time.Minute)), Removed: []string{x, y}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
