package simulator

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilwait "k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// The restart subresource is served as virt-api serves it: an aggregated
// API. The simulator serves HTTPS on a loopback port with a self-signed
// certificate and registers an APIService for subresources.kubevirt.io/v1
// whose caBundle is that certificate, pointing at a Service. With no
// kube-proxy a ClusterIP leads nowhere and Endpoints refuse loopback
// addresses, so the Service is an ExternalName one for localhost: the
// aggregator (without --enable-aggregator-routing) sends its requests to
// https://EXTERNALNAME:PORT, PORT being the APIService's, and checks the
// certificate for SERVICE.NAMESPACE.svc.

const (
	// SubresourceAPIService names the APIService the simulator registers.
	SubresourceAPIService = "v1.subresources.kubevirt.io"
	subresourceService    = "virtwork-simulator-virt-api"
	// OwnerLabel marks the APIService and Service as the simulator's:
	// one left by a simulator that did not stop cleanly is replaced, one
	// without it (a real virt-api's) never is.
	OwnerLabel = "virtwork.io/simulator"
)

// APIServices are the aggregator's registrations.
var APIServices = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// serveSubresources serves the restart subresource and registers it with
// the API server, returning once the aggregator finds it available. The
// function it returns removes the APIService and the Service, then stops
// serving: the API server never points at a closed port, and discovery,
// which fails for an unavailable aggregated group, stays clean for
// whoever shares the API server.
func (s *simulator) serveSubresources(ctx context.Context, kube kubernetes.Interface) (func(), error) {
	ns := s.opts.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	cert, caPEM, err := servingCert(subresourceService + "." + ns + ".svc")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the restart subresource: %w", err)
	}
	srv := &http.Server{
		Handler:           s.subresourceHandler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.ServeTLS(l, "", ""); !errors.Is(err, http.ErrServerClosed) {
			s.logf("serving the restart subresource: %v", err)
		}
	}()
	var uid types.UID
	stop := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.unregisterSubresources(cctx, kube, ns, uid); err != nil {
			s.logf("%v", err)
		}
		srv.Close()
		<-done
	}
	uid, err = s.registerSubresources(ctx, kube, ns, l.Addr().(*net.TCPAddr).Port, caPEM)
	if err == nil {
		err = s.waitAvailable(ctx)
	}
	if err != nil {
		stop()
		return nil, err
	}
	s.logf("serving %s on https://%s through APIService %s", SubresourceGroupVersion, l.Addr(), SubresourceAPIService)
	return stop, nil
}

// registerSubresources creates the ExternalName Service and the
// APIService, replacing one a simulator left; it returns the APIService's
// UID, so only this one is removed when the simulator stops.
func (s *simulator) registerSubresources(ctx context.Context, kube kubernetes.Interface, ns string, port int, caPEM []byte) (types.UID, error) {
	mine := map[string]string{OwnerLabel: "true"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: subresourceService, Namespace: ns, Labels: mine},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("creating Service %s/%s for the restart subresource: %w", ns, subresourceService, err)
	}
	gv := SubresourceGroupVersion
	apiService := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": SubresourceAPIService, "labels": map[string]any{OwnerLabel: "true"}},
		"spec": map[string]any{
			"group": gv.Group, "version": gv.Version, "groupPriorityMinimum": int64(1000), "versionPriority": int64(15),
			"caBundle": base64.StdEncoding.EncodeToString(caPEM),
			"service":  map[string]any{"name": subresourceService, "namespace": ns, "port": int64(port)},
		},
	}}
	client := s.client.Resource(APIServices)
	for range 2 {
		created, err := client.Create(ctx, apiService, metav1.CreateOptions{})
		if err == nil {
			return created.GetUID(), nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("registering APIService %s: %w", SubresourceAPIService, err)
		}
		old, err := client.Get(ctx, SubresourceAPIService, metav1.GetOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return "", fmt.Errorf("reading APIService %s: %w", SubresourceAPIService, err)
		}
		if err == nil && old.GetLabels()[OwnerLabel] != "true" {
			return "", fmt.Errorf("APIService %s exists and is not the simulator's: is virt-api serving it?", SubresourceAPIService)
		}
		if err == nil {
			s.logf("replacing APIService %s left by another simulator", SubresourceAPIService)
			if err := deleteAPIService(ctx, s, old.GetUID()); err != nil {
				return "", err
			}
		}
	}
	return "", fmt.Errorf("registering APIService %s: another simulator keeps registering it", SubresourceAPIService)
}

// waitAvailable waits for the aggregator to reach the simulator: the
// APIService's Available condition True. A misconfiguration shows there
// (a certificate it does not trust, a port it cannot reach).
func (s *simulator) waitAvailable(ctx context.Context) error {
	var why string
	err := utilwait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		u, err := s.client.Resource(APIServices).Get(ctx, SubresourceAPIService, metav1.GetOptions{})
		if err != nil {
			why = err.Error()
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, _ := c.(map[string]any); m["type"] == "Available" {
				why, _ = m["message"].(string)
				return m["status"] == "True", nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("APIService %s is not available: %s (%w)", SubresourceAPIService, why, err)
	}
	return nil
}

// unregisterSubresources removes the APIService with uid, if it is still
// there, then the Service.
func (s *simulator) unregisterSubresources(ctx context.Context, kube kubernetes.Interface, ns string, uid types.UID) error {
	if uid != "" {
		if err := deleteAPIService(ctx, s, uid); err != nil && !apierrors.IsConflict(err) {
			return err
		}
	}
	err := kube.CoreV1().Services(ns).Delete(ctx, subresourceService, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting Service %s/%s: %w", ns, subresourceService, err)
	}
	return nil
}

func deleteAPIService(ctx context.Context, s *simulator, uid types.UID) error {
	err := s.client.Resource(APIServices).Delete(ctx, SubresourceAPIService, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting APIService %s: %w", SubresourceAPIService, err)
	}
	return nil
}

// servingCert makes a self-signed serving certificate for the Service's
// name (what the aggregator checks), localhost and 127.0.0.1; it is also
// its own CA, the APIService's caBundle.
func servingCert(dnsName string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generating the subresource server's key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: dnsName},
		DNSNames:              []string{dnsName, "localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("creating the subresource server's certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
