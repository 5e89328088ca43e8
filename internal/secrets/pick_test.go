package secrets

import (
	"strings"
	"testing"
)

func TestPickKey(t *testing.T) {
	const doc = `{"user":"app","password":"sentinel-pick","port":5432,"tls":true,"a/b":{"c~d":"esc"},"list":["zero","one"],"none":null}`
	tests := []struct {
		name     string
		doc      string
		key      []string
		want     string
		wantCode string
	}{
		{"whole value", "sentinel-pick", nil, "sentinel-pick", ""},
		{"whole JSON", doc, nil, doc, ""},
		{"string key", doc, []string{"password"}, "sentinel-pick", ""},
		{"number", doc, []string{"port"}, "5432", ""},
		{"boolean", doc, []string{"tls"}, "true", ""},
		{"escaped keys", doc, []string{"a/b", "c~d"}, "esc", ""},
		{"list index", doc, []string{"list", "1"}, "one", ""},
		{"yaml document", "user: app\npassword: sentinel-pick\n", []string{"password"}, "sentinel-pick", ""},
		{"missing key", doc, []string{"nope"}, "", "KeyNotFound"},
		{"index out of range", doc, []string{"list", "2"}, "", "KeyNotFound"},
		{"key in a scalar", doc, []string{"user", "x"}, "", "KeyNotFound"},
		{"object", doc, []string{"a/b"}, "", "NotAString"},
		{"null", doc, []string{"none"}, "", "NotAString"},
		{"not a document", "sentinel-pick: [unclosed", []string{"x"}, "", "NotJSON"},
		{"plain string", "sentinel-pick", []string{"x"}, "", "KeyNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code, msg := pickKey(tt.doc, tt.key)
			if got != tt.want || code != tt.wantCode {
				t.Fatalf("got %q %s (%s), want %q %s", got, code, msg, tt.want, tt.wantCode)
			}
			if code != "" && strings.Contains(msg, "sentinel-pick") {
				t.Errorf("message shows the value: %s", msg)
			}
		})
	}
}
