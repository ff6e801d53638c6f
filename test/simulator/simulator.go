package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Resources the simulator reads and writes.
var (
	VirtualMachines         = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
	VirtualMachineInstances = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}
	DataVolumes             = schema.GroupVersionResource{Group: "cdi.kubevirt.io", Version: "v1beta1", Resource: "datavolumes"}
	Migrations              = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstancemigrations"}
)

// Options tune the simulation. The zero value is usable.
type Options struct {
	// StepDelay is the time between one phase and the next (DataVolume
	// import, VMI Pending -> Scheduling -> Scheduled -> Running).
	// Default 1s.
	StepDelay time.Duration
	// SlowStartDelay replaces StepDelay for VMs with the slow-start fault.
	// Default 30s.
	SlowStartDelay time.Duration
	// Nodes is how many nodes the VMIs are spread over, by a hash of the
	// VM's name (NodeNames lists them), when Register is empty. Default 3.
	Nodes int
	// Register, when not empty, are Node objects the simulator creates
	// when it starts and deletes when it stops (names must be free). Each
	// VMI then gets a virt-launcher Pod, as virt-controller creates it,
	// for kube-scheduler to bind; the VMI runs on the Pod's node, or stays
	// Scheduling with the scheduler's message while the Pod is
	// Unschedulable. Empty: VMIs are placed on NodeNames at once, with no
	// Pods and no Nodes (what most tests need, at less cost).
	Register []Node
	// NodePrefix names the nodes: PREFIX-0, PREFIX-1... Default
	// "virtwork-sim-node".
	NodePrefix string
	// MetricsListener, when set, serves the metrics a real cluster's
	// virt-handlers and virt-controller export for the simulated VMIs
	// (ScrapeJobs lists the targets); Run closes it when it returns.
	MetricsListener net.Listener
	// Seed makes the metrics' noise repeatable: the same seed, VM names
	// and instants give the same values.
	Seed uint64
	// MetricsFaults gives VMs a metrics fault by name, for runs applied by
	// the plugin itself, which sets no test annotations; the annotation
	// wins when both are given.
	MetricsFaults map[string]MetricsFault
	// Faults gives VMs a Fault by name, for runs applied by the plugin
	// itself; FaultAnnotation wins when both are given.
	Faults map[string]Fault
	// MigrationDuration is how long a migration stays Running before its
	// switch-over. Default StepDelay.
	MigrationDuration time.Duration
	// MigrationPause is the switch-over of a migration: for this long the
	// VMI's guest metrics are exported by no node; then the migration
	// Succeeds and they come back labelled with the target node.
	// Default 1s.
	MigrationPause time.Duration
	// Termination is how long a deleted VMI lingers, as while virt-handler
	// shuts its guest down (up to terminationGracePeriodSeconds, 180 s by
	// default, on a real cluster). Default 0: it goes at once.
	Termination time.Duration
	// Subresources, when set, makes the simulator serve KubeVirt's
	// restart subresource as virt-api does, as an aggregated API
	// (aggregate.go), counting the restarts in it. Run returns once the
	// API server finds it available, and unregisters it when it returns.
	// Its Service lives in Namespace (default when empty). Nil: the API
	// server serves no subresources.kubevirt.io, as on a cluster without
	// virt-api.
	Subresources *Subresources
	// Namespace limits the simulator to one namespace; all when empty.
	Namespace string
	// Workers is the number of VMs reconciled in parallel. Default 4.
	Workers int
	// Log receives one line per action; nothing when nil.
	Log io.Writer
}

func (o Options) withDefaults() Options {
	if o.StepDelay <= 0 {
		o.StepDelay = time.Second
	}
	if o.SlowStartDelay <= 0 {
		o.SlowStartDelay = 30 * time.Second
	}
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.MigrationDuration <= 0 {
		o.MigrationDuration = o.StepDelay
	}
	if o.MigrationPause <= 0 {
		o.MigrationPause = time.Second
	}
	if o.NodePrefix == "" {
		o.NodePrefix = "virtwork-sim-node"
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// Run simulates until ctx is done, then returns nil once its workers have
// stopped; it returns an error only if it cannot start.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	client, err := dynamic.NewForConfig(cfg)
	var kube kubernetes.Interface
	if err == nil && (len(opts.Register) > 0 || opts.Subresources != nil) {
		kube, err = kubernetes.NewForConfig(cfg)
	}
	if err != nil {
		if opts.MetricsListener != nil {
			opts.MetricsListener.Close()
		}
		return fmt.Errorf("creating clients: %w", err)
	}
	s := newSimulator(client, opts.withDefaults())
	if opts.Subresources != nil {
		stop, err := s.serveSubresources(ctx, kube)
		if err != nil {
			if opts.MetricsListener != nil {
				opts.MetricsListener.Close()
			}
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		defer stop()
	}
	if len(opts.Register) > 0 {
		if err := registerNodes(ctx, kube, opts.Register); err != nil {
			return err
		}
		defer func() {
			if uerr := unregisterNodes(kube, opts.Register); uerr != nil {
				s.logf("%v", uerr)
			}
		}()
		s.watchPods(kube)
	}
	return s.run(ctx)
}

// serveMetrics serves the metrics endpoints on the listener; the function
// it returns stops serving and closes the listener.
func (s *simulator) serveMetrics() func() {
	srv := &http.Server{
		Handler:           s.metrics.handler(s.opts.NodeNames(), infoCollector{s.vmis.GetStore()}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(s.opts.MetricsListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("serving metrics: %v", err)
		}
	}()
	s.logf("serving metrics on http://%s (nodes %v)", s.opts.MetricsListener.Addr(), s.opts.NodeNames())
	return func() {
		srv.Close()
		<-done
	}
}

// simulator is one running simulation: informers over VMs, VMIs and
// DataVolumes feeding a queue of VM keys.
type simulator struct {
	client  dynamic.Interface
	opts    Options
	factory dynamicinformer.DynamicSharedInformerFactory
	vms     cache.SharedIndexInformer
	vmis    cache.SharedIndexInformer
	dvs     cache.SharedIndexInformer
	migs    cache.SharedIndexInformer
	queue   workqueue.TypedRateLimitingInterface[string]

	// kube, podFactory and pods are set only with Options.Register: the
	// virt-launcher Pods the simulator creates, watched for the
	// scheduler's decisions.
	kube       kubernetes.Interface
	podFactory informers.SharedInformerFactory
	pods       cache.SharedIndexInformer

	// entered records when the simulator moved an object into its current
	// phase, keyed by UID; phases advance after a delay from that time.
	mu      sync.Mutex
	entered map[types.UID]phaseEntry
	now     func() time.Time
	// booted holds the VMs (by UID) that have had a VMI; restarted the
	// VMIs created for a VM that had one before (restart.go).
	booted, restarted map[types.UID]bool

	// metrics is nil unless Options.MetricsListener is set.
	metrics *metrics
}

type phaseEntry struct {
	phase string
	at    time.Time
}

func newSimulator(client dynamic.Interface, opts Options) *simulator {
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, 10*time.Minute, opts.Namespace, nil)
	var m *metrics
	if opts.MetricsListener != nil {
		m = newMetrics(opts.Seed)
	}
	return &simulator{
		metrics: m,
		client:  client,
		opts:    opts,
		factory: factory,
		vms:     factory.ForResource(VirtualMachines).Informer(),
		vmis:    factory.ForResource(VirtualMachineInstances).Informer(),
		dvs:     factory.ForResource(DataVolumes).Informer(),
		migs:    factory.ForResource(Migrations).Informer(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "virtwork-simulator"}),
		entered:   map[types.UID]phaseEntry{},
		restarted: map[types.UID]bool{},
		booted:    map[types.UID]bool{},
		now:       time.Now,
	}
}

func (s *simulator) run(ctx context.Context) error {
	defer s.queue.ShutDown()
	if s.metrics != nil {
		defer s.serveMetrics()()
	}
	handlers := []struct {
		informer cache.SharedIndexInformer
		key      func(*unstructured.Unstructured) (string, bool)
	}{
		{s.vms, func(u *unstructured.Unstructured) (string, bool) { return u.GetNamespace() + "/" + u.GetName(), true }},
		{s.vmis, ownerVMKey},
		{s.dvs, ownerVMKey},
		{s.migs, migrationKey},
	}
	for _, h := range handlers {
		key := h.key
		_, err := h.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { s.enqueue(obj, key) },
			UpdateFunc: func(_, obj any) { s.enqueue(obj, key) },
			DeleteFunc: func(obj any) {
				if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = tomb.Obj
				}
				if u, ok := obj.(*unstructured.Unstructured); ok {
					s.forget(u.GetUID())
				}
				s.enqueue(obj, key)
			},
		})
		if err != nil {
			return fmt.Errorf("adding event handler: %w", err)
		}
	}
	s.factory.Start(ctx.Done())
	defer s.factory.Shutdown()
	for gvr, synced := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("syncing informer for %s", gvr.Resource)
		}
	}
	if s.pods != nil {
		s.podFactory.Start(ctx.Done())
		defer s.podFactory.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), s.pods.HasSynced) {
			return nil
		}
	}
	s.logf("simulating VirtualMachines (namespace %q, step %s)", s.opts.Namespace, s.opts.StepDelay)

	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() {
			for s.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	s.queue.ShutDown()
	wg.Wait()
	s.releaseAll()
	if s.pods != nil {
		s.deleteAllLaunchers()
	}
	return nil
}

func (s *simulator) enqueue(obj any, key func(*unstructured.Unstructured) (string, bool)) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	if k, ok := key(u); ok {
		s.queue.Add(k)
	}
}

// ownerVMKey maps a VMI or DataVolume to the VM that controls it.
func ownerVMKey(u *unstructured.Unstructured) (string, bool) {
	for _, ref := range u.GetOwnerReferences() {
		if ref.Kind == "VirtualMachine" && ref.Controller != nil && *ref.Controller {
			return u.GetNamespace() + "/" + ref.Name, true
		}
	}
	return "", false
}

func (s *simulator) processNext(ctx context.Context) bool {
	key, shutdown := s.queue.Get()
	if shutdown {
		return false
	}
	defer s.queue.Done(key)
	var after time.Duration
	var err error
	switch {
	case strings.HasPrefix(key, podKeyPrefix):
		err = s.reap(ctx, key)
	case strings.HasPrefix(key, migrationKeyPrefix):
		after, err = s.reconcileMigration(ctx, strings.TrimPrefix(key, migrationKeyPrefix))
	default:
		after, err = s.reconcile(ctx, key)
	}
	switch {
	case err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
		// The namespace controller is removing everything; so is the
		// garbage collector. Nothing left to simulate.
		s.queue.Forget(key)
	case err != nil && ctx.Err() == nil:
		if !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) {
			utilruntime.HandleErrorWithContext(ctx, err, "simulating VirtualMachine", "key", key)
		}
		s.queue.AddRateLimited(key)
	case after > 0:
		s.queue.Forget(key)
		s.queue.AddAfter(key, after)
	default:
		s.queue.Forget(key)
	}
	return true
}

func (s *simulator) logf(format string, args ...any) {
	fmt.Fprintf(s.opts.Log, "simulator: "+format+"\n", args...)
}

// errNotOwned reports an object with a VM's name that the VM does not
// control, such as the VMI of a deleted VM still being garbage-collected.
var errNotOwned = errors.New("exists but is not controlled by this VirtualMachine")

func controlledBy(u *unstructured.Unstructured, uid types.UID) bool {
	ref := metav1.GetControllerOf(u)
	return ref != nil && ref.UID == uid
}

// Annotate sets a Fault on the named VirtualMachines of objs as they pass,
// so a test can apply a rendered bundle with some VMs set to misbehave.
func Annotate(objs iter.Seq[*unstructured.Unstructured], faults map[string]Fault) iter.Seq[*unstructured.Unstructured] {
	return func(yield func(*unstructured.Unstructured) bool) {
		for o := range objs {
			if f, ok := faults[o.GetName()]; ok && o.GetKind() == "VirtualMachine" {
				o.SetAnnotations(map[string]string{FaultAnnotation: string(f)})
			}
			if !yield(o) {
				return
			}
		}
	}
}
