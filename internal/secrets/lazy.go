package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Lazy resolves references for a run: it loads its AWS configuration the first time values
// hold a reference, so that a project without any makes no AWS request and needs no
// credentials, and it registers every value it resolves in the run's Registry. A value too
// short to hide there is refused. It is safe for concurrent use.
type Lazy struct {
	load func(ctx context.Context) (aws.Config, error)
	reg  *Registry

	once sync.Once
	r    *Resolver
	err  error

	mu    sync.Mutex
	short map[string]*TooShortError // by label
}

// NewLazy returns a Lazy that gets its AWS configuration from load and registers what it
// resolves in reg.
func NewLazy(load func(ctx context.Context) (aws.Config, error), reg *Registry) *Lazy {
	return &Lazy{load: load, reg: reg}
}

// IsRef reports whether s is a reference, well-formed or not.
func (l *Lazy) IsRef(s string) bool {
	_, ok, _ := Parse(s)
	return ok
}

// Resolve returns a copy of values with every reference replaced by what it names.
func (l *Lazy) Resolve(ctx context.Context, values map[string]any) (map[string]any, error) {
	l.once.Do(func() {
		cfg, err := l.load(ctx)
		if err != nil {
			l.err = fmt.Errorf("the values hold references to secrets in AWS, and kaji reads them with its AWS credentials: %w", err)
			return
		}
		r := NewResolver(cfg, Options{OnSecret: func(value, label string) {
			var short *TooShortError
			if errors.As(l.reg.Add(value, LabelRef(label)), &short) { // refused below
				l.mu.Lock()
				if l.short == nil {
					l.short = map[string]*TooShortError{}
				}
				l.short[short.Label] = short
				l.mu.Unlock()
			}
		}})
		l.mu.Lock()
		l.r = r
		l.mu.Unlock()
	})
	if l.err != nil {
		return nil, l.err
	}
	out, err := l.r.Resolve(ctx, values)
	if err != nil {
		return nil, err
	}
	var errs []error
	l.mu.Lock()
	for _, f := range Scan(values) {
		if short, ok := l.short[cleanLabel(LabelRef(f.Ref.Raw))]; ok {
			errs = append(errs, fmt.Errorf("%s: %w", f.Path, short))
		}
	}
	l.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Version returns the version of what the reference raw resolved to (see Resolver.Version).
func (l *Lazy) Version(raw string) (string, bool) {
	l.mu.Lock()
	r := l.r
	l.mu.Unlock()
	if r == nil {
		return "", false
	}
	return r.Version(raw)
}
