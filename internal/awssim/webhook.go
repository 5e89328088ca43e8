package awssim

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ConfigMapGetter reads ConfigMaps of kube-system; client.CoreV1().ConfigMaps("kube-system")
// is one.
type ConfigMapGetter interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*corev1.ConfigMap, error)
}

// Webhook is a token-review webhook that authenticates EKS bearer tokens for the
// simulator's clusters, standing in for the aws-iam-authenticator that EKS runs. It serves
// https://127.0.0.1:PORT/authenticate/CLUSTER.
type Webhook struct {
	sim *Server
	srv *httptest.Server

	mu         sync.Mutex
	configMaps ConfigMapGetter
	reviews    []Review
}

// Review records one token review. It never holds the token.
type Review struct {
	Cluster       string
	Authenticated bool
	// ARN is the verified AWS identity; empty when the token did not verify.
	ARN      string
	Username string
	Groups   []string
	// Source is what mapped the identity; Reason why it was rejected.
	Source string
	Reason string
}

// StartWebhook starts the token-review webhook. Close it when done.
func (s *Server) StartWebhook() *Webhook {
	w := &Webhook{sim: s}
	w.srv = httptest.NewUnstartedServer(w)
	w.srv.StartTLS()
	return w
}

// Close stops the webhook.
func (w *Webhook) Close() { w.srv.Close() }

// URL is the webhook endpoint for cluster.
func (w *Webhook) URL(cluster string) string {
	return w.srv.URL + "/authenticate/" + url.PathEscape(cluster)
}

// UseConfigMaps gives the webhook the kube-system ConfigMaps of the API server that calls
// it, where it reads aws-auth. It is set after the API server starts, which needs the
// webhook's address first.
func (w *Webhook) UseConfigMaps(cm ConfigMapGetter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.configMaps = cm
}

// Reviews returns the reviews done so far, oldest first.
func (w *Webhook) Reviews() []Review {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Review(nil), w.reviews...)
}

// WriteConfig writes the kubeconfig-format file that kube-apiserver's
// --authentication-token-webhook-config-file reads, pointing at the webhook for cluster.
func (w *Webhook) WriteConfig(path, cluster string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["awssim"] = &clientcmdapi.Cluster{Server: w.URL(cluster), CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.srv.Certificate().Raw})}
	kc.AuthInfos["kube-apiserver"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["webhook"] = &clientcmdapi.Context{Cluster: "awssim", AuthInfo: "kube-apiserver"}
	kc.CurrentContext = "webhook"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write token webhook config: %w", err)
	}
	return nil
}

// APIServerArgs are the kube-apiserver flags that use the webhook config at configPath. The
// cache is off, so that every request is reviewed afresh after a test changes a mapping.
func APIServerArgs(configPath string) []string {
	return []string{
		"--authentication-token-webhook-config-file=" + configPath,
		"--authentication-token-webhook-version=v1",
		"--authentication-token-webhook-cache-ttl=0s",
	}
}

// ServeHTTP answers TokenReview requests.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	cluster, ok := strings.CutPrefix(r.URL.Path, "/authenticate/")
	if !ok || r.Method != http.MethodPost {
		http.Error(rw, "POST a TokenReview to /authenticate/CLUSTER", http.StatusNotFound)
		return
	}
	var review authnv1.TokenReview
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(body, &review)
	}
	if err != nil {
		http.Error(rw, "decode TokenReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	m, arn := w.review(ctx, cluster, review.Spec.Token)
	w.mu.Lock()
	w.reviews = append(w.reviews, Review{Cluster: cluster, Authenticated: m.Authenticated, ARN: arn,
		Username: m.Username, Groups: m.Groups, Source: m.Source, Reason: m.Reason})
	w.mu.Unlock()

	review.Spec = authnv1.TokenReviewSpec{}
	review.Status = authnv1.TokenReviewStatus{Authenticated: m.Authenticated}
	if m.Authenticated {
		extra := map[string]authnv1.ExtraValue{}
		for k, v := range m.Extra {
			extra[k] = v
		}
		review.Status.User = authnv1.UserInfo{Username: m.Username, UID: m.UID, Groups: m.Groups, Extra: extra}
	} else {
		review.Status.Error = m.Reason
	}
	if review.APIVersion == "" {
		review.APIVersion, review.Kind = "authentication.k8s.io/v1", "TokenReview"
	}
	rw.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(rw).Encode(review); err != nil {
		http.Error(rw, "encode TokenReview: "+err.Error(), http.StatusInternalServerError)
	}
}

// review authenticates one token for cluster.
func (w *Webhook) review(ctx context.Context, cluster, token string) (Mapping, string) {
	c, err := w.sim.world.clusterByName(cluster)
	if err != nil {
		return Mapping{Reason: err.Error()}, ""
	}
	id, err := w.sim.VerifyToken(ctx, cluster, token)
	if err != nil {
		return Mapping{Reason: err.Error()}, ""
	}
	in := MapInput{Identity: id, Mode: c.AuthenticationMode, AccessEntries: c.AccessEntries, PolicyGroups: w.sim.world.accessPolicyGroups()}
	if c.AuthenticationMode != ModeAPI {
		in.AWSAuth, err = w.readAWSAuth(ctx)
		if err != nil {
			return Mapping{Reason: err.Error()}, id.ARN
		}
	}
	return MapIdentity(in), id.ARN
}

func (w *Webhook) readAWSAuth(ctx context.Context) (*AWSAuth, error) {
	w.mu.Lock()
	cm := w.configMaps
	w.mu.Unlock()
	if cm == nil {
		return nil, fmt.Errorf("the webhook cannot read aws-auth: no Kubernetes client (call UseConfigMaps)")
	}
	obj, err := cm.Get(ctx, "aws-auth", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read kube-system/aws-auth: %w", err)
	}
	a, err := ParseAWSAuth(obj.Data)
	if err != nil {
		return nil, err
	}
	return &a, nil
}
