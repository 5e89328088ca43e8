package faultproxy

import (
	"net/http"
	"strings"
	"sync"
)

// Writes matches the methods that change something, for Rule.Method.
const Writes = "POST|PUT|PATCH|DELETE"

// A Rule says which requests get a fault. Its zero fields match everything.
type Rule struct {
	// Method is a method or several joined by "|" (such as Writes); "" matches every method.
	Method string
	// Path is a substring of the URL path; "" matches every path.
	Path string
	// Query is a substring of the raw query (such as "watch=true"); "" matches every query.
	Query string
	// Skip lets this many matching requests through before the fault starts.
	Skip int
	// Times is how many matching requests get the fault, after which the rule lets them
	// through; 0 faults every one.
	Times int
	// Fault is what a matching request gets.
	Fault Fault
}

func (r Rule) matches(req *http.Request) bool {
	if r.Method != "" && !methodIn(req.Method, r.Method) {
		return false
	}
	if r.Path != "" && !strings.Contains(req.URL.Path, r.Path) {
		return false
	}
	return r.Query == "" || strings.Contains(req.URL.RawQuery, r.Query)
}

func methodIn(method, list string) bool {
	for m := range strings.SplitSeq(list, "|") {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

type kind int

const (
	kindStatus kind = iota + 1
	kindReset
	kindStall
	kindWarn
	kindCut
)

// A Fault is what a request that a rule matches gets instead of, or besides, the API
// server's answer.
type Fault struct {
	kind       kind
	status     int
	retryAfter string
	warning    string
}

// Status answers with code, and a Retry-After header when retryAfter is not empty, without
// passing the request on.
func Status(code int, retryAfter string) Fault {
	return Fault{kind: kindStatus, status: code, retryAfter: retryAfter}
}

// Reset reads the request and resets the connection (TCP RST) without answering.
func Reset() Fault { return Fault{kind: kindReset} }

// Stall holds the request without answering until the client gives up or the proxy closes.
func Stall() Fault { return Fault{kind: kindStall} }

// Warn passes the request on and adds an API server warning (a Warning header, code 299)
// with text to the answer.
func Warn(text string) Fault { return Fault{kind: kindWarn, warning: text} }

// Cut drops every connection of the proxy, this request's included, and every later one
// until Restore: the network to the API server is gone.
func Cut() Fault { return Fault{kind: kindCut} }

// An Injection is a rule in force; it counts the requests it faulted.
type Injection struct {
	rule Rule

	mu      sync.Mutex
	matched int
	hits    int
	removed bool
}

// Hits is how many requests got the fault so far.
func (i *Injection) Hits() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.hits
}

// take says whether req gets the fault, and counts it.
func (i *Injection) take(req *http.Request) bool {
	if !i.rule.matches(req) {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.removed {
		return false
	}
	i.matched++
	if i.matched <= i.rule.Skip {
		return false
	}
	if i.rule.Times > 0 && i.hits >= i.rule.Times {
		return false
	}
	i.hits++
	return true
}
