package audit

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestConcurrentWriters has 32 goroutines write at once through two
// Stores on the same file: goroutines of one Store queue for its
// connection, and the two Stores contend like two processes, through
// SQLite's locks and busy_timeout. Run it with -race.
func TestConcurrentWriters(t *testing.T) {
	const (
		writers       = 32
		objsPerWriter = 4
	)
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "audit.db")
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	shared, err := stores[0].Start(ctx, Invocation{RunID: "shared", Command: CommandApply, StartedAt: t0})
	if err != nil {
		t.Fatal(err)
	}

	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		s := stores[w%2]
		wg.Go(func() {
			errs <- func() error {
				// Half the writers also start and finish an invocation of
				// their own, interleaved with the shared one's writes.
				if w%2 == 1 {
					id, err := s.Start(ctx, Invocation{RunID: fmt.Sprintf("own-%02d", w), Command: CommandApply, StartedAt: t0})
					if err != nil {
						return err
					}
					if err := s.Finish(ctx, id, Succeeded, map[string]int{"writer": w}, ""); err != nil {
						return err
					}
				}
				objs := make([]Object, objsPerWriter)
				for i := range objs {
					objs[i] = Object{Kind: "VirtualMachine", Name: fmt.Sprintf("vm-%02d-%d", w, i), Outcome: "created", At: t0}
				}
				if err := s.RecordObjects(ctx, shared, objs); err != nil {
					return err
				}
				name := fmt.Sprintf("vm-%02d", w)
				if err := s.RecordVMs(ctx, shared, []VM{{Name: name, CreatedAt: t0}}); err != nil {
					return err
				}
				if err := s.RecordVMs(ctx, shared, []VM{{Name: name, RunningAt: t0.Add(time.Minute)}}); err != nil {
					return err
				}
				return s.Event(ctx, shared, t0, name+" ready")
			}()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	d, err := stores[1].Get(ctx, shared)
	if err != nil {
		t.Fatal(err)
	}
	wantVMs := make([]VM, writers)
	for w := range wantVMs {
		wantVMs[w] = VM{Name: fmt.Sprintf("vm-%02d", w), CreatedAt: t0, RunningAt: t0.Add(time.Minute)}
	}
	if diff := cmp.Diff(wantVMs, d.VMs); diff != "" {
		t.Errorf("VMs (-want +got):\n%s", diff)
	}
	if got, want := len(d.Objects), writers*objsPerWriter; got != want {
		t.Errorf("%d objects recorded, want %d", got, want)
	}
	if got, want := len(d.Events), writers; got != want {
		t.Errorf("%d events recorded, want %d", got, want)
	}
	invs, err := stores[0].History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	finished := 0
	for _, inv := range invs {
		if inv.Status == Succeeded && inv.Counts["writer"]%2 == 1 {
			finished++
		}
	}
	if got, want := len(invs), 1+writers/2; got != want || finished != writers/2 {
		t.Errorf("History has %d invocations, %d finished by their writer; want %d and %d", got, finished, want, writers/2)
	}
}
