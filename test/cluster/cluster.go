package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	storagev1 "k8s.io/api/storage/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/virtwork/kubectl-virtwork/test/crds"
	"github.com/virtwork/kubectl-virtwork/test/process"
)

// KubernetesVersion is the control-plane version hack/build-k8s-bins.sh
// builds and the default binary directory is named after.
const KubernetesVersion = "v1.37.2"

// ErrBinariesMissing reports that etcd, kube-apiserver,
// kube-controller-manager or kube-scheduler is not in the binary directory.
var ErrBinariesMissing = errors.New("control-plane binaries missing")

// binaries are the programs the control plane runs, in start order.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"}

// controllers are the kube-controller-manager controllers the tests rely on:
// namespace deletion, owner-reference garbage collection, and PVC
// protection: the API server's StorageObjectInUseProtection admission puts
// the kubernetes.io/pvc-protection finalizer on every PVC, and without the
// controller that lifts it (once no scheduled pod uses the claim) a deleted
// PVC would stay terminating for ever, which no real cluster does. The
// service account controller gives each namespace its "default"
// ServiceAccount, without which the API server's ServiceAccount admission
// refuses every Pod (the simulator's virt-launcher Pods). The node
// lifecycle controller does not run: the simulator's Nodes have no kubelet
// to renew their leases, and nothing taints them for it.
const controllers = "namespace-controller,garbage-collector-controller,persistentvolumeclaim-protection-controller," +
	"serviceaccount-controller"

// adminUser is the identity the harness and the kubeconfig it writes use.
const adminUser = "virtwork-admin"

// Options configure Start.
type Options struct {
	// BinDir holds etcd, kube-apiserver, kube-controller-manager and
	// kube-scheduler; DefaultBinDir() when empty.
	BinDir string
	// Dir receives etcd data, certificates, kubeconfigs and process logs.
	// When empty Start uses a temporary directory that Stop removes; a
	// given Dir is left in place.
	Dir string
	// Log receives one line per start-up step; nothing when nil.
	Log io.Writer
}

// Cluster is a running control plane. Stop it exactly once.
type Cluster struct {
	config     *rest.Config
	kubeconfig string
	dir        string
	removeDir  bool
	mu         sync.Mutex // procs, which servers started side by side append to
	procs      []*process.Process
	log        io.Writer
}

// DefaultBinDir is where hack/build-k8s-bins.sh puts the binaries:
// $VIRTWORK_K8S_BIN_DIR, else $XDG_CACHE_HOME/virtwork/k8s-bins/<version>
// (XDG_CACHE_HOME defaulting to ~/.cache).
func DefaultBinDir() string {
	if dir := os.Getenv("VIRTWORK_K8S_BIN_DIR"); dir != "" {
		return dir
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = filepath.Join(os.TempDir(), "virtwork-cache")
	}
	return filepath.Join(cache, "virtwork", "k8s-bins", KubernetesVersion)
}

// CheckBinaries returns an error wrapping ErrBinariesMissing unless every
// control-plane binary is an executable file in dir.
func CheckBinaries(dir string) error {
	var missing []string
	for _, name := range binaries {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s not in %s (run hack/build-k8s-bins.sh or set VIRTWORK_K8S_BIN_DIR)",
			ErrBinariesMissing, strings.Join(missing, ", "), dir)
	}
	return nil
}

// Start runs etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler, installs the CRDs from test/crds and returns once they
// are Established and the controller manager and scheduler are healthy.
// On error everything started is stopped.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.BinDir == "" {
		opts.BinDir = DefaultBinDir()
	}
	if err := CheckBinaries(opts.BinDir); err != nil {
		return nil, err
	}
	c := &Cluster{dir: opts.Dir, log: opts.Log}
	if c.log == nil {
		c.log = io.Discard
	}
	if c.dir == "" {
		c.dir, err = os.MkdirTemp("", "virtwork-cluster-")
		if err != nil {
			return nil, fmt.Errorf("creating cluster directory: %w", err)
		}
		c.removeDir = true
	} else if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating cluster directory: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()

	pki, err := writePKI(filepath.Join(c.dir, "pki"))
	if err != nil {
		return nil, err
	}
	etcdURL, err := c.startEtcd(ctx, opts.BinDir)
	if err != nil {
		return nil, err
	}
	host, err := c.startAPIServer(ctx, opts.BinDir, etcdURL, pki)
	if err != nil {
		return nil, err
	}
	c.config = &rest.Config{
		Host: host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   pki.ca,
			CertData: pki.admin.certPEM,
			KeyData:  pki.admin.keyPEM,
		},
		QPS:   100,
		Burst: 200,
	}
	if err := c.installCRDs(ctx); err != nil {
		return nil, err
	}
	if err := c.installStorageClass(ctx); err != nil {
		return nil, err
	}
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := writeKubeconfig(c.kubeconfig, host, pki.ca, adminUser, pki.admin); err != nil {
		return nil, err
	}
	kcmConfig := filepath.Join(c.dir, "kube-controller-manager.kubeconfig")
	if err := writeKubeconfig(kcmConfig, host, pki.ca, "system:kube-controller-manager", pki.controllerManager); err != nil {
		return nil, err
	}
	schedConfig := filepath.Join(c.dir, "kube-scheduler.kubeconfig")
	if err := writeKubeconfig(schedConfig, host, pki.ca, "system:kube-scheduler", pki.scheduler); err != nil {
		return nil, err
	}
	if err := c.startControllers(ctx, opts.BinDir, kcmConfig, schedConfig, pki); err != nil {
		return nil, err
	}
	fmt.Fprintf(c.log, "control plane ready at %s\n", host)
	return c, nil
}

// Config returns a copy of the admin client configuration (a
// system:masters client certificate).
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.config) }

// KubeconfigPath is a kubeconfig file for the same admin identity, usable
// by kubectl and by the plugin under test.
func (c *Cluster) KubeconfigPath() string { return c.kubeconfig }

// Dir is the directory holding data, certificates and process logs.
func (c *Cluster) Dir() string { return c.dir }

// PIDs maps each running control-plane process name to its PID.
func (c *Cluster) PIDs() map[string]int {
	pids := make(map[string]int, len(c.procs))
	for _, p := range c.procs {
		if !p.Exited() {
			pids[p.Name] = p.PID()
		}
	}
	return pids
}

// Stop stops the processes in reverse start order, each by its PID with
// SIGTERM and then SIGKILL, waits for them, and removes a temporary
// directory.
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		if err := c.procs[i].Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	c.procs = nil
	if c.removeDir {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", c.dir, err))
		}
		c.removeDir = false
	}
	return errors.Join(errs...)
}

// pkiFiles are the certificates and keys of one control plane, as files for
// the servers and as PEM for clients.
type pkiFiles struct {
	ca                       []byte
	caFile                   string
	servingCert, servingKey  string
	saPrivate, saPublic      string
	admin, controllerManager keyPair
	scheduler                keyPair
}

func writePKI(dir string) (pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return pkiFiles{}, fmt.Errorf("creating %s: %w", dir, err)
	}
	ca, err := newAuthority("virtwork-test-ca")
	if err != nil {
		return pkiFiles{}, err
	}
	serving, err := ca.serving()
	if err != nil {
		return pkiFiles{}, err
	}
	admin, err := ca.client(adminUser, "system:masters")
	if err != nil {
		return pkiFiles{}, err
	}
	// The controller manager gets full rights too: without
	// --use-service-account-credentials every controller acts as it, and
	// the garbage collector must be able to delete any resource.
	kcm, err := ca.client("system:kube-controller-manager", "system:masters")
	if err != nil {
		return pkiFiles{}, err
	}
	sched, err := ca.client("system:kube-scheduler", "system:masters")
	if err != nil {
		return pkiFiles{}, err
	}
	saPrivate, saPublic, err := serviceAccountKey()
	if err != nil {
		return pkiFiles{}, err
	}
	p := pkiFiles{
		ca:                ca.certPEM,
		caFile:            filepath.Join(dir, "ca.crt"),
		servingCert:       filepath.Join(dir, "serving.crt"),
		servingKey:        filepath.Join(dir, "serving.key"),
		saPrivate:         filepath.Join(dir, "sa.key"),
		saPublic:          filepath.Join(dir, "sa.pub"),
		admin:             admin,
		controllerManager: kcm,
		scheduler:         sched,
	}
	for path, data := range map[string][]byte{
		p.caFile:      ca.certPEM,
		p.servingCert: serving.certPEM,
		p.servingKey:  serving.keyPEM,
		p.saPrivate:   saPrivate,
		p.saPublic:    saPublic,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return pkiFiles{}, fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return p, nil
}

// readyTimeout bounds how long one process may take to become ready.
const readyTimeout = 2 * time.Minute

// startServer starts a process on fresh ports and waits for ready, retrying
// with new ports when the process died of a port conflict.
func (c *Cluster) startServer(ctx context.Context, name, bin string, nports int,
	args func(ports []int) []string, ready func(ctx context.Context, ports []int) error,
) ([]int, error) {
	fmt.Fprintf(c.log, "starting %s on 127.0.0.1\n", name)
	p, ports, err := process.StartServer(ctx, process.Server{
		Name: name, Bin: bin, Ports: nports, Args: args, Ready: ready,
		ReadyTimeout: readyTimeout, LogPath: filepath.Join(c.dir, name+".log"), KillWithParent: true,
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.log, "%s (pid %d) ready on 127.0.0.1:%v\n", name, p.PID(), ports)
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return ports, nil
}

func (c *Cluster) startEtcd(ctx context.Context, binDir string) (string, error) {
	dataDir := filepath.Join(c.dir, "etcd")
	if err := os.RemoveAll(dataDir); err != nil {
		return "", fmt.Errorf("clearing etcd data: %w", err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	ports, err := c.startServer(ctx, "etcd", filepath.Join(binDir, "etcd"), 2,
		func(ports []int) []string {
			clientURL, peerURL := loopbackURL("http", ports[0]), loopbackURL("http", ports[1])
			return []string{
				"--name=virtwork",
				"--data-dir=" + dataDir,
				"--listen-client-urls=" + clientURL,
				"--advertise-client-urls=" + clientURL,
				"--listen-peer-urls=" + peerURL,
				"--initial-advertise-peer-urls=" + peerURL,
				"--initial-cluster=virtwork=" + peerURL,
				"--listen-metrics-urls=",
				"--unsafe-no-fsync=true",
				"--log-level=warn",
			}
		},
		func(ctx context.Context, ports []int) error {
			return httpOK(ctx, client, loopbackURL("http", ports[0])+"/health", `"health":"true"`)
		})
	if err != nil {
		return "", err
	}
	return loopbackURL("http", ports[0]), nil
}

func (c *Cluster) startAPIServer(ctx context.Context, binDir, etcdURL string, pki pkiFiles) (string, error) {
	client, err := tlsClient(pki.ca, &pki.admin)
	if err != nil {
		return "", err
	}
	ports, err := c.startServer(ctx, "kube-apiserver", filepath.Join(binDir, "kube-apiserver"), 1,
		func(ports []int) []string {
			host := loopbackURL("https", ports[0])
			return []string{
				"--etcd-servers=" + etcdURL,
				"--bind-address=127.0.0.1",
				"--advertise-address=127.0.0.1",
				"--secure-port=" + strconv.Itoa(ports[0]),
				"--tls-cert-file=" + pki.servingCert,
				"--tls-private-key-file=" + pki.servingKey,
				"--client-ca-file=" + pki.caFile,
				"--authorization-mode=RBAC",
				"--service-account-issuer=" + host,
				"--service-account-key-file=" + pki.saPublic,
				"--service-account-signing-key-file=" + pki.saPrivate,
				"--service-cluster-ip-range=10.96.0.0/16", // room for benchmark runs of thousands of Services
				"--endpoint-reconciler-type=none",
				"--cert-dir=" + filepath.Join(c.dir, "apiserver-certs"),
				"--profiling=false",
			}
		},
		func(ctx context.Context, ports []int) error {
			return httpOK(ctx, client, loopbackURL("https", ports[0])+"/readyz", "ok")
		})
	if err != nil {
		return "", err
	}
	return loopbackURL("https", ports[0]), nil
}

func (c *Cluster) startControllerManager(ctx context.Context, binDir, kubeconfig string, pki pkiFiles) error {
	client, err := tlsClient(pki.ca, nil)
	if err != nil {
		return err
	}
	_, err = c.startServer(ctx, "kube-controller-manager", filepath.Join(binDir, "kube-controller-manager"), 1,
		func(ports []int) []string {
			return append(servingFlags(kubeconfig, ports[0], pki),
				"--kubeconfig="+kubeconfig,
				"--controllers="+controllers,
				"--leader-elect=false",
				"--use-service-account-credentials=false",
				"--profiling=false",
			)
		},
		func(ctx context.Context, ports []int) error {
			return httpOK(ctx, client, loopbackURL("https", ports[0])+"/healthz", "ok")
		})
	return err
}

// installCRDs creates every CRD of test/crds and waits until each is
// Established, so clients can use the resources right away.
func (c *Cluster) installCRDs(ctx context.Context) error {
	client, err := apiextensionsclient.NewForConfig(c.config)
	if err != nil {
		return fmt.Errorf("creating apiextensions client: %w", err)
	}
	files, err := fs.Glob(crds.FS, "*.yaml")
	if err != nil {
		return fmt.Errorf("listing CRDs: %w", err)
	}
	var names []string
	for _, file := range files {
		crd, err := readCRD(file)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.log, "installing CRD %s\n", crd.Name)
		if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
		}
		names = append(names, crd.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for _, name := range names {
		err := utilwait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return crdCondition(crd, apiextensionsv1.Established) && crdCondition(crd, apiextensionsv1.NamesAccepted), nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be established: %w", name, err)
		}
	}
	return nil
}

// DefaultStorageClass is the StorageClass the control plane marks as the
// default, as clusters with CDI have one; nothing provisions it (the
// simulator plays CDI).
const DefaultStorageClass = "virtwork-simulated"

func (c *Cluster) installStorageClass(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return fmt.Errorf("creating client: %w", err)
	}
	sc := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: DefaultStorageClass, Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "virtwork.test/simulated",
	}
	if _, err := client.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating the default StorageClass: %w", err)
	}
	return nil
}

func readCRD(file string) (*apiextensionsv1.CustomResourceDefinition, error) {
	f, err := crds.FS.Open(file)
	if err != nil {
		return nil, fmt.Errorf("opening CRD %s: %w", file, err)
	}
	defer f.Close()
	// The generated files start with a comment-only document before "---".
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := dec.Decode(crd); err != nil {
			return nil, fmt.Errorf("decoding CRD %s: %w", file, err)
		}
		switch crd.Kind {
		case "":
			continue
		case "CustomResourceDefinition":
			return crd, nil
		default:
			return nil, fmt.Errorf("decoding CRD %s: kind is %q", file, crd.Kind)
		}
	}
}

func crdCondition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	for _, cond := range crd.Status.Conditions {
		if cond.Type == t {
			return cond.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

func writeKubeconfig(path, host string, ca []byte, user string, cred keyPair) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["virtwork"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: cred.certPEM, ClientKeyData: cred.keyPEM}
	cfg.Contexts["virtwork"] = &clientcmdapi.Context{Cluster: "virtwork", AuthInfo: user, Namespace: "default"}
	cfg.CurrentContext = "virtwork"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

func tlsClient(ca []byte, cred *keyPair) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("parsing the test CA certificate")
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cred != nil {
		cert, err := tls.X509KeyPair(cred.certPEM, cred.keyPEM)
		if err != nil {
			return nil, fmt.Errorf("loading client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

// httpOK checks that GET url answers 200 with a body containing want.
func httpOK(ctx context.Context, client *http.Client, url, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func loopbackURL(scheme string, port int) string {
	return scheme + "://127.0.0.1:" + strconv.Itoa(port)
}

// servingFlags are the secure serving and delegated auth flags that
// kube-controller-manager and kube-scheduler share: loopback only, the test
// PKI's serving certificate, the cluster's kubeconfig for both checks.
func servingFlags(kubeconfig string, port int, pki pkiFiles) []string {
	return []string{
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + pki.servingCert,
		"--tls-private-key-file=" + pki.servingKey,
	}
}
