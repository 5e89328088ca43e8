package testenv

import (
	"context"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// WaitAllowed waits until the API server's authorizer lets user (with groups) do what attr
// says. RBAC objects take effect once the authorizer's own cache has them, a moment after
// they are written: a test that grants something and uses it at once waits here first.
func (e *Env) WaitAllowed(t testing.TB, user string, groups []string, attr authzv1.ResourceAttributes) {
	t.Helper()
	e.Require(t)
	review := &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{User: user, Groups: groups, ResourceAttributes: &attr}}
	var last authzv1.SubjectAccessReviewStatus
	err := wait.PollUntilContextTimeout(t.Context(), 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		r, err := e.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		last = r.Status
		return r.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("%s (groups %v) is still not allowed to %s %s in %q: %v (last answer %+v)", user, groups, attr.Verb, attr.Resource, attr.Namespace, err, last)
	}
}
