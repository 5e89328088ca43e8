package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLabel marks the namespaces made by Namespace; its value is the test's name, cut to
// fit a label value.
const TestLabel = "kaji.dev/test"

// Namespace creates a fresh namespace for t, named after it with a random suffix, and
// deletes it when t ends without waiting: with no controller-manager the namespace stays
// Terminating and its objects stay too, which no test may rely on either way.
//
// On a nil Env, which is what Run leaves under -short, Namespace skips t.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	e.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: namespacePrefix(t.Name()),
		Labels:       map[string]string{TestLabel: labelValue(t.Name())},
	}}
	created, err := e.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create test namespace: %v", err)
	}
	name := created.Name
	t.Cleanup(func() {
		// t.Context is already done here.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := e.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete test namespace %s: %v", name, err)
		}
	})
	return name
}

// Require skips t when e is nil, which is what Run leaves under -short. Tests that use e
// without calling Namespace first should call it.
func (e *Env) Require(t testing.TB) {
	t.Helper()
	if e == nil {
		t.Skip("needs the control plane, which is not started under -short")
	}
}

// namespacePrefix turns a test name into a GenerateName prefix: a DNS label of at most 40
// characters ending in "-", leaving room for the API server's 5-character suffix.
func namespacePrefix(testName string) string {
	var b strings.Builder
	dash := true // no leading dash, no runs of dashes
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 39 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 39 {
		s = strings.TrimRight(s[:39], "-")
	}
	if s == "" {
		s = "test"
	}
	return s + "-"
}

// labelValue cuts a test name down to a valid label value.
func labelValue(testName string) string {
	var b strings.Builder
	for _, r := range testName {
		if b.Len() >= 63 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "-_.")
}
