package testenv

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// RequestCounts is the API server's apiserver_request_total summed per "VERB resource", for
// example "GET configmaps", "PATCH deployments.apps", "GET pods/log"; requests to paths
// outside the API ("/metrics", "/readyz") count under "VERB nonresource".
//
// The API server's own loopback clients count too (lease renewals, for example), and so
// does every earlier call of RequestCount: compare the keys a test cares about.
type RequestCounts map[string]float64

// RequestCount reads apiserver_request_total from the API server's /metrics.
func (e *Env) RequestCount(ctx context.Context) (RequestCounts, error) {
	body, err := e.Client.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("get api server metrics: %w", err)
	}
	return parseRequestCounts(string(body))
}

// Total is the sum of all counts.
func (c RequestCounts) Total() float64 {
	var sum float64
	for _, v := range c {
		sum += v
	}
	return sum
}

// Sub returns the counts that grew since before, by how much.
func (c RequestCounts) Sub(before RequestCounts) RequestCounts {
	delta := RequestCounts{}
	for k, v := range c {
		if d := v - before[k]; d != 0 {
			delta[k] = d
		}
	}
	return delta
}

const requestMetric = "apiserver_request_total"

// parseRequestCounts reads apiserver_request_total out of Prometheus text exposition.
func parseRequestCounts(text string) (RequestCounts, error) {
	counts := RequestCounts{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, requestMetric)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue // a comment, another metric, or one whose name merely starts the same
		}
		labels, value, err := parseSample(rest)
		if err != nil {
			return nil, fmt.Errorf("parse metric line %q: %w", line, err)
		}
		counts[requestKey(labels)] += value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return counts, nil
}

func requestKey(labels map[string]string) string {
	resource := labels["resource"]
	if resource == "" {
		return labels["verb"] + " nonresource"
	}
	if g := labels["group"]; g != "" {
		resource += "." + g
	}
	if s := labels["subresource"]; s != "" {
		resource += "/" + s
	}
	return labels["verb"] + " " + resource
}

// parseSample parses `{name="value",...} 12 [timestamp]` (the label set is optional).
func parseSample(s string) (map[string]string, float64, error) {
	labels := map[string]string{}
	if strings.HasPrefix(s, "{") {
		var err error
		s, err = parseLabels(s[1:], labels)
		if err != nil {
			return nil, 0, err
		}
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, 0, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil, 0, fmt.Errorf("value: %w", err)
	}
	return labels, v, nil
}

// parseLabels reads `name="value",...}` into labels and returns what follows the brace.
func parseLabels(s string, labels map[string]string) (string, error) {
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		name, rest, ok := strings.Cut(s, `="`)
		if !ok {
			return "", fmt.Errorf("label without quoted value")
		}
		var value strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				if rest[i] == 'n' {
					value.WriteByte('\n')
					continue
				}
			}
			value.WriteByte(rest[i])
		}
		if i == len(rest) {
			return "", fmt.Errorf("unterminated label value")
		}
		labels[strings.TrimSpace(name)] = value.String()
		s = rest[i+1:]
	}
}
