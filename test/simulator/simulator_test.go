package simulator

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	kubevirtv1 "kubevirt.io/api/core/v1"
)

func TestPlan(t *testing.T) {
	opts := Options{StepDelay: time.Second, SlowStartDelay: time.Minute}.withDefaults()
	tests := []struct {
		name        string
		annotations map[string]string
		wantFault   Fault
		wantDelay   time.Duration
		wantLog     bool
	}{
		{name: "no annotations", wantFault: FaultNone, wantDelay: time.Second},
		{name: "fault", annotations: map[string]string{FaultAnnotation: "vmi-failed"}, wantFault: FaultVMIFailed, wantDelay: time.Second},
		{name: "slow start", annotations: map[string]string{FaultAnnotation: "slow-start"}, wantFault: FaultSlowStart, wantDelay: time.Minute},
		{name: "start delay", annotations: map[string]string{StartDelayAnnotation: "3s"}, wantFault: FaultNone, wantDelay: 3 * time.Second},
		{name: "start delay wins over slow start", annotations: map[string]string{FaultAnnotation: "slow-start", StartDelayAnnotation: "250ms"}, wantFault: FaultSlowStart, wantDelay: 250 * time.Millisecond},
		{name: "unknown fault", annotations: map[string]string{FaultAnnotation: "meltdown"}, wantFault: FaultNone, wantDelay: time.Second, wantLog: true},
		{name: "bad delay", annotations: map[string]string{StartDelayAnnotation: "soon"}, wantFault: FaultNone, wantDelay: time.Second, wantLog: true},
		{name: "negative delay", annotations: map[string]string{StartDelayAnnotation: "-1s"}, wantFault: FaultNone, wantDelay: time.Second, wantLog: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			o := opts
			o.Log = &log
			s := &simulator{opts: o}
			vm := &kubevirtv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "vm", Annotations: tt.annotations}}
			fault, delay := s.plan(vm)
			if fault != tt.wantFault || delay != tt.wantDelay {
				t.Errorf("plan() = %q, %s; want %q, %s", fault, delay, tt.wantFault, tt.wantDelay)
			}
			if got := log.Len() > 0; got != tt.wantLog {
				t.Errorf("logged %q, want a log line: %v", log.String(), tt.wantLog)
			}
		})
	}
}

func TestRunsAlways(t *testing.T) {
	strategy := func(s kubevirtv1.VirtualMachineRunStrategy) *kubevirtv1.VirtualMachineRunStrategy { return &s }
	tests := []struct {
		name string
		spec kubevirtv1.VirtualMachineSpec
		want bool
	}{
		{name: "Always", spec: kubevirtv1.VirtualMachineSpec{RunStrategy: strategy(kubevirtv1.RunStrategyAlways)}, want: true},
		{name: "Halted", spec: kubevirtv1.VirtualMachineSpec{RunStrategy: strategy(kubevirtv1.RunStrategyHalted)}, want: false},
		{name: "Manual", spec: kubevirtv1.VirtualMachineSpec{RunStrategy: strategy(kubevirtv1.RunStrategyManual)}, want: false},
		{name: "running true", spec: kubevirtv1.VirtualMachineSpec{Running: ptr.To(true)}, want: true},
		{name: "running false", spec: kubevirtv1.VirtualMachineSpec{Running: ptr.To(false)}, want: false},
		{name: "neither", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runsAlways(&kubevirtv1.VirtualMachine{Spec: tt.spec}); got != tt.want {
				t.Errorf("runsAlways() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVMStatusFor(t *testing.T) {
	type result struct {
		Status kubevirtv1.VirtualMachinePrintableStatus
		Ready  bool
		Reason string
	}
	const unschedulable = "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector."
	tests := []struct {
		phase kubevirtv1.VirtualMachineInstancePhase
		fault Fault
		// podScheduled is the VMI's PodScheduled condition's message
		// (status False, reason Unschedulable) when not empty.
		podScheduled string
		// migration is the VMI's migrationState when not nil.
		migration map[string]any
		want      result
	}{
		{phase: kubevirtv1.Pending, want: result{kubevirtv1.VirtualMachineStatusStarting, false, "VirtualMachineInstance is starting"}},
		{phase: kubevirtv1.Pending, fault: FaultErrImagePull, want: result{kubevirtv1.VirtualMachineStatusErrImagePull, false, "failed to pull image (virtwork simulator: fault err-image-pull)"}},
		{phase: kubevirtv1.Scheduling, want: result{kubevirtv1.VirtualMachineStatusStarting, false, "VirtualMachineInstance is starting"}},
		// The scheduler's message, whether the fault or kube-scheduler
		// put it there.
		{phase: kubevirtv1.Scheduling, podScheduled: unschedulable, want: result{kubevirtv1.VirtualMachineStatusUnschedulable, false, unschedulable}},
		{phase: kubevirtv1.Scheduled, want: result{kubevirtv1.VirtualMachineStatusStarting, false, "VirtualMachineInstance is starting"}},
		{phase: kubevirtv1.Running, want: result{kubevirtv1.VirtualMachineStatusRunning, true, ""}},
		{phase: kubevirtv1.Running, migration: map[string]any{"startTimestamp": "2026-01-01T00:00:00Z"}, want: result{kubevirtv1.VirtualMachineStatusMigrating, true, ""}},
		{phase: kubevirtv1.Running, migration: map[string]any{"startTimestamp": "2026-01-01T00:00:00Z", "endTimestamp": "2026-01-01T00:00:01Z"}, want: result{kubevirtv1.VirtualMachineStatusRunning, true, ""}},
		{phase: kubevirtv1.Failed, fault: FaultVMIFailed, want: result{kubevirtv1.VirtualMachineStatusCrashLoopBackOff, false, "VirtualMachineInstance failed"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s/%v", tt.phase, tt.fault, tt.podScheduled, tt.migration), func(t *testing.T) {
			status := map[string]any{"phase": string(tt.phase)}
			if tt.podScheduled != "" {
				status["conditions"] = []any{map[string]any{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": tt.podScheduled}}
			}
			if tt.migration != nil {
				status["migrationState"] = tt.migration
			}
			vmi := &unstructured.Unstructured{Object: map[string]any{"status": status}}
			status2, ready, reason := vmStatusFor(vmi, tt.fault)
			if diff := cmp.Diff(tt.want, result{status2, ready, reason}); diff != "" {
				t.Errorf("vmStatusFor() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestElapsedRestartsPerPhase(t *testing.T) {
	now := time.Unix(1000, 0)
	s := &simulator{entered: map[types.UID]phaseEntry{}, now: func() time.Time { return now }}
	if got := s.elapsed("uid", "Pending"); got != 0 {
		t.Fatalf("first elapsed = %s, want 0", got)
	}
	now = now.Add(3 * time.Second)
	if got := s.elapsed("uid", "Pending"); got != 3*time.Second {
		t.Errorf("elapsed after 3s = %s, want 3s", got)
	}
	if got := s.elapsed("uid", "Scheduling"); got != 0 {
		t.Errorf("elapsed in a new phase = %s, want 0", got)
	}
	s.forget("uid")
	now = now.Add(time.Second)
	if got := s.elapsed("uid", "Scheduling"); got != 0 {
		t.Errorf("elapsed after forget = %s, want 0", got)
	}
}

// TestLeaveAtChainsTheDelays: a phase is left exactly its delay after it
// was entered, however late the worker comes; now when the simulator did
// not see the phase entered.
func TestLeaveAtChainsTheDelays(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0.Add(2500 * time.Millisecond)
	s := &simulator{entered: map[types.UID]phaseEntry{}, now: func() time.Time { return now }}
	s.markEnteredAt("uid", "Pending", t0)
	if got := s.leaveAt("uid", "Pending", 2*time.Second); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("leaveAt = %s, want entered + 2s = %s", got, t0.Add(2*time.Second))
	}
	if got := s.leaveAt("uid", "Scheduling", 2*time.Second); !got.Equal(now) {
		t.Errorf("leaveAt of a phase not seen entered = %s, want now %s", got, now)
	}
	if got := s.leaveAt("uid", "Pending", 3*time.Second); !got.Equal(now) {
		t.Errorf("leaveAt before the delay passed = %s, want now %s", got, now)
	}
}

func TestFakeIPIsStable(t *testing.T) {
	a, b := fakeIP("3f2a"), fakeIP("3f2a")
	if a != b {
		t.Errorf("fakeIP not stable: %s != %s", a, b)
	}
	if fakeIP("3f2a") == fakeIP("9c1d") {
		t.Errorf("fakeIP gave the same address for different UIDs")
	}
}
