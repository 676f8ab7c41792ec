// Command kube-apiserver-test runs a real Kubernetes API server for tests:
// an embedded etcd and the upstream kube-apiserver (k8s.io/kubernetes) in one
// process, on 127.0.0.1 only, with certificates and credentials it generates
// itself.
//
// Once /readyz answers OK it writes a kubeconfig (cluster-admin: a client
// certificate in group system:masters) and prints exactly one line on stdout:
//
//	READY <kubeconfig-path>
//
// SIGTERM or SIGINT shuts the API server down gracefully, then etcd, then
// removes the data directory (unless it was given with --data-dir). Logs go to
// stderr. Arguments after "--" are passed to kube-apiserver as they are and
// override the defaults below (later flags win).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

type options struct {
	kubeconfig       string
	dataDir          string
	securePort       int
	authzMode        string
	serviceCIDR      string
	readyTimeout     time.Duration
	etcdLogLevel     string
	disableAdmission string
	stopOnStdinEOF   bool
	apiserverArgs    []string
}

func parseOptions(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("kube-apiserver-test", flag.ContinueOnError)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "path of the kubeconfig file to write once the server is ready (required)")
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for etcd data and certificates; default: a new temporary directory, removed on exit")
	fs.IntVar(&o.securePort, "secure-port", 0, "HTTPS port on 127.0.0.1; 0 picks a free one")
	fs.StringVar(&o.authzMode, "authorization-mode", "Node,RBAC", "kube-apiserver --authorization-mode (e.g. AlwaysAllow)")
	fs.StringVar(&o.serviceCIDR, "service-cluster-ip-range", "10.96.0.0/16", "kube-apiserver --service-cluster-ip-range")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 3*time.Minute, "give up if /readyz is not OK within this time")
	fs.StringVar(&o.etcdLogLevel, "etcd-log-level", "error", "embedded etcd log level (debug, info, warn, error)")
	fs.StringVar(&o.disableAdmission, "disable-admission-plugins", "ServiceAccount",
		"kube-apiserver --disable-admission-plugins; ServiceAccount is off by default since no controller creates the default ServiceAccount")
	fs.BoolVar(&o.stopOnStdinEOF, "stop-on-stdin-eof", false,
		"shut down (as on SIGTERM) when stdin reaches end of file, e.g. because the parent process died")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kube-apiserver-test --kubeconfig PATH [flags] [-- kube-apiserver flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.apiserverArgs = fs.Args()
	if o.kubeconfig == "" {
		return nil, errors.New("--kubeconfig is required")
	}
	abs, err := filepath.Abs(o.kubeconfig)
	if err != nil {
		return nil, err
	}
	o.kubeconfig = abs
	return o, nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "kube-apiserver-test: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, err := parseOptions(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}

	// The upstream command installs the SIGTERM/SIGINT handler (it can be
	// installed only once per process); its context is ours too, so a signal
	// during etcd startup or while waiting for readiness also stops us.
	cmd := app.NewAPIServerCommand()
	ctx := cmd.Context()
	if o.stopOnStdinEOF {
		// A parent that died has also closed our stdout/stderr: let writes there fail instead of killing the
		// process with SIGPIPE before it has shut down and cleaned up.
		signal.Ignore(syscall.SIGPIPE)
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			genericapiserver.RequestShutdown()
		}()
	}

	dataDir := o.dataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "kube-apiserver-test-"); err != nil {
			return err
		}
		defer os.RemoveAll(dataDir)
		// The upstream server ends the process through klog.Fatal in some paths (e.g. a post-start hook that fails
		// because a signal arrived during startup), skipping deferred functions: remove the directory there too.
		tmp := dataDir
		klog.OsExit = func(code int) {
			os.RemoveAll(tmp)
			os.Exit(code)
		}
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	pkiDir := filepath.Join(dataDir, "pki")

	port := o.securePort
	if port == 0 {
		if port, err = freePort(); err != nil {
			return err
		}
	}
	p, err := generatePKI(pkiDir)
	if err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}

	etcd, etcdURL, err := startEtcd(ctx, filepath.Join(dataDir, "etcd"), o.etcdLogLevel)
	if err != nil {
		return fmt.Errorf("starting etcd: %w", err)
	}
	defer func() {
		etcd.Close()
		<-etcd.Server.StopNotify()
	}()

	flags := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--tls-cert-file=" + p.servingCert,
		"--tls-private-key-file=" + p.servingKey,
		"--client-ca-file=" + p.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPublicKey,
		"--service-account-signing-key-file=" + p.saPrivateKey,
		"--service-cluster-ip-range=" + o.serviceCIDR,
		"--authorization-mode=" + o.authzMode,
		"--disable-admission-plugins=" + o.disableAdmission,
		// no second apiserver and a loopback address: nothing to reconcile
		"--endpoint-reconciler-type=none",
		// lighter startup; flow control only matters under load
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--allow-privileged=true",
	}
	flags = append(flags, o.apiserverArgs...)
	cmd.SetArgs(flags)

	errCh := make(chan error, 1)
	go func() { errCh <- cmd.Execute() }()

	server := "https://127.0.0.1:" + strconv.Itoa(port)
	readyCtx, cancelReady := context.WithTimeout(ctx, o.readyTimeout)
	defer cancelReady()
	readyCh := make(chan error, 1)
	go func() { readyCh <- waitReady(readyCtx, server, p) }()

	select {
	case err := <-errCh:
		if err == nil {
			err = errors.New("kube-apiserver exited before it was ready")
		}
		return err
	case err := <-etcd.Err():
		return fmt.Errorf("etcd: %w", err)
	case err := <-readyCh:
		if err != nil {
			if ctx.Err() != nil {
				// signalled while starting: let the server stop, then clean up
				return waitStopped(errCh)
			}
			return fmt.Errorf("waiting for %s/readyz: %w", server, err)
		}
	}

	if err := writeKubeconfig(o.kubeconfig, server, p); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	fmt.Fprintf(os.Stdout, "READY %s\n", o.kubeconfig)

	select {
	case err := <-errCh:
		if ctx.Err() == nil {
			if err == nil {
				err = errors.New("kube-apiserver exited unexpectedly")
			}
			return err
		}
		return err
	case err := <-etcd.Err():
		return fmt.Errorf("etcd: %w", err)
	case <-ctx.Done():
		return waitStopped(errCh)
	}
}

func waitStopped(errCh <-chan error) error {
	select {
	case err := <-errCh:
		return err
	case <-time.After(60 * time.Second):
		return errors.New("kube-apiserver did not stop within 60s")
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startEtcd starts a single-member etcd on loopback and returns its client URL.
func startEtcd(ctx context.Context, dir, logLevel string) (*embed.Etcd, string, error) {
	clientPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	peerPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	cfg := embed.NewConfig()
	cfg.Name = "kube-apiserver-test"
	cfg.Dir = dir
	cfg.LogLevel = logLevel
	cfg.LogOutputs = []string{"stderr"}
	client := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(clientPort)}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(peerPort)}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{peer}
	cfg.AdvertisePeerUrls = []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// test data: durability across power loss does not matter, speed does
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, "", err
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, "", err
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, "", errors.New("etcd not ready within 60s")
	case <-ctx.Done():
		e.Close()
		return nil, "", ctx.Err()
	}
	if len(e.Clients) == 0 {
		e.Close()
		return nil, "", errors.New("etcd has no client listener")
	}
	addr := e.Clients[0].Addr().String()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		e.Close()
		return nil, "", fmt.Errorf("etcd listens on %s, not loopback", addr)
	}
	return e, "http://" + addr, nil
}
