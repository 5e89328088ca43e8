package render

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

// Character sets of the random string functions, as in Masterminds/goutils.
const (
	alphaChars   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
)

// deterministicFuncs returns the template functions that replace Helm's random and clock
// functions. Each call builds a fresh memo, so the results of onceFuncs live as long as the
// Renderer that holds the map.
func deterministicFuncs(now time.Time) template.FuncMap {
	f := template.FuncMap{
		"randAlphaNum": func(n int) string { return randString("randAlphaNum", n, alphaChars+numericChars) },
		"randAlpha":    func(n int) string { return randString("randAlpha", n, alphaChars) },
		"randNumeric":  func(n int) string { return randString("randNumeric", n, numericChars) },
		"randAscii":    func(n int) string { return randString("randAscii", n, asciiChars()) },
		"randInt":      func(lo, hi int) int { return lo + seeded("randInt", lo, hi).IntN(hi-lo) },
		"randBytes":    randBytes,
		"uuidv4":       uuidv4,
		"shuffle":      shuffle,
		"keys":         sortedKeys,
		"values":       valuesByKey,

		"now":            func() time.Time { return now },
		"date":           func(layout string, d any) string { return dateInZone(now, layout, d, "Local") },
		"dateInZone":     func(layout string, d any, zone string) string { return dateInZone(now, layout, d, zone) },
		"date_in_zone":   func(layout string, d any, zone string) string { return dateInZone(now, layout, d, zone) },
		"htmlDate":       func(d any) string { return dateInZone(now, "2006-01-02", d, "Local") },
		"htmlDateInZone": func(d any, zone string) string { return dateInZone(now, "2006-01-02", d, zone) },
		"ago":            func(d any) string { return ago(now, d) },
		"durationRound":  durationRound(now),
	}
	// These are computed for real once per argument list and then repeated: key and
	// certificate generation, salted hashes, encryption with a random IV, and the deliberately
	// slow derivePassword. RSA keys are not generated at all: they are validationKeyPEM.
	onceFuncs := []string{
		"bcrypt", "htpasswd", "encryptAES", "derivePassword", "genPrivateKey",
		"genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey",
		"genSignedCert", "genSignedCertWithKey",
	}
	sprigFuncs := sprig.TxtFuncMap()
	fixed := fixedKeyFuncs()
	m := &memo{entries: map[string]*memoEntry{}}
	for _, name := range onceFuncs {
		if fn, ok := fixed[name]; ok {
			f[name] = m.wrap(name, fn)
		} else if fn, ok := sprigFuncs[name]; ok {
			f[name] = m.wrap(name, fn)
		}
	}
	return f
}

// seeded returns a random source that depends only on the function name and its arguments.
func seeded(name string, args ...any) *rand.Rand {
	seed := sha256.Sum256(fmt.Appendf(nil, "%s\x00%#v", name, args))
	return rand.New(rand.NewChaCha8(seed))
}

func asciiChars() string {
	b := make([]byte, 0, 127-32)
	for c := byte(32); c < 127; c++ {
		b = append(b, c)
	}
	return string(b)
}

func randString(name string, n int, chars string) string {
	if n <= 0 {
		return ""
	}
	r := seeded(name, n)
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

func randBytes(n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("randBytes: negative count %d", n)
	}
	r := seeded("randBytes", n)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func uuidv4() string {
	r := seeded("uuidv4")
	var u [16]byte
	for i := range u {
		u[i] = byte(r.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func shuffle(s string) string {
	rs := []rune(s)
	seeded("shuffle", s).Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	return string(rs)
}

func sortedKeys(dicts ...map[string]any) []string {
	k := []string{}
	for _, d := range dicts {
		for key := range d {
			k = append(k, key)
		}
	}
	slices.Sort(k)
	return k
}

func valuesByKey(dict map[string]any) []any {
	keys := sortedKeys(dict)
	v := make([]any, 0, len(keys))
	for _, k := range keys {
		v = append(v, dict[k])
	}
	return v
}

// toTime is sprig's reading of a date argument, with now instead of the wall clock.
func toTime(now time.Time, d any) time.Time {
	switch d := d.(type) {
	case time.Time:
		return d
	case *time.Time:
		return *d
	case int64:
		return time.Unix(d, 0)
	case int:
		return time.Unix(int64(d), 0)
	case int32:
		return time.Unix(int64(d), 0)
	}
	return now
}

func dateInZone(now time.Time, layout string, d any, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	return toTime(now, d).In(loc).Format(layout)
}

func ago(now time.Time, d any) string {
	if _, ok := d.(int32); ok { // sprig's ago does not read int32
		d = nil
	}
	if _, ok := d.(*time.Time); ok {
		d = nil
	}
	return now.Sub(toTime(now, d)).Round(time.Second).String()
}

// durationRound is sprig's durationRound, which reads a time as the duration since then.
func durationRound(now time.Time) func(any) string {
	round, _ := sprig.TxtFuncMap()["durationRound"].(func(any) string)
	return func(d any) string {
		if t, ok := d.(time.Time); ok {
			d = int64(now.Sub(t))
		}
		if round == nil {
			return ""
		}
		return round(d)
	}
}

// memo computes each (function, arguments) once and repeats the result.
type memo struct {
	mu      sync.Mutex
	entries map[string]*memoEntry
}

type memoEntry struct {
	once  sync.Once
	out   []reflect.Value
	panic any
}

// wrap returns a function of the same type as fn that calls fn once per argument list.
func (m *memo) wrap(name string, fn any) any {
	v := reflect.ValueOf(fn)
	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		key := name
		for _, a := range args {
			key += fmt.Sprintf("\x00%#v", a.Interface())
		}
		m.mu.Lock()
		e, ok := m.entries[key]
		if !ok {
			e = &memoEntry{}
			m.entries[key] = e
		}
		m.mu.Unlock()
		e.once.Do(func() {
			defer func() { e.panic = recover() }()
			e.out = v.Call(args)
		})
		if e.panic != nil {
			panic(e.panic) // text/template turns a panicking function into an error
		}
		return e.out
	}).Interface()
}
