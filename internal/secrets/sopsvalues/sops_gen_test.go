package sopsvalues

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"
)

// docGen generates random values documents for the differential tests.
type docGen struct{ r *rand.Rand }

// genKeys are key names; several are picked out by the variants' rules (suffixes "word" and
// "_unencrypted", the regexes' names).
var genKeys = []string{
	"name", "password", "token", "apiKey", "host", "port", "data", "list", "values", "logLevel",
	"user_unencrypted", "public_unencrypted", "keyword", "passwd_word", "key with space", "clé",
	"東京", "yes", "123", "a.b", "a:b", "nested", "items", "x", "", "sops_like",
}

var genWords = []string{
	"alpha", "bêta", "東京", "🚀", "s3cr3t", "pass", "#hash", ": colon", "- dash", "'quote'",
	`"dq"`, "{brace}", "[bracket]", "&anchor", "*alias", "!tag", "%pct", "@at", "`tick`", "|pipe",
	">gt", "tab\there", "back\\slash", "null", "true", "~", "1e3", "0x1F", "  ", "ENC", "sops:enc",
}

func (g *docGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *docGen) text() string {
	n := g.r.IntN(4)
	words := make([]string, n)
	for i := range words {
		words[i] = g.pick(genWords)
	}
	s := strings.Join(words, " ")
	switch g.r.IntN(8) {
	case 0:
		s = strings.Join(words, "\n")
	case 1:
		s += "\n"
	case 2:
		s = " " + s + " "
	}
	return s
}

// scalar returns a random scalar of a type SOPS encrypts; json leaves out what JSON cannot
// hold.
func (g *docGen) scalar(json bool) any {
	switch g.r.IntN(13) {
	case 0:
		return ""
	case 1:
		return g.r.IntN(2000) - 1000
	case 2:
		return int(g.r.Int64())
	case 3:
		return math.Round(g.r.NormFloat64()*1e4) / 100
	case 4:
		return g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(60)-30))
	case 5:
		return g.r.IntN(2) == 0
	case 6:
		return nil
	case 7:
		if json {
			return float64(g.r.IntN(100))
		}
		return time.Date(2000+g.r.IntN(50), time.Month(1+g.r.IntN(12)), 1+g.r.IntN(28), g.r.IntN(24), g.r.IntN(60), 0, 0, time.UTC)
	case 8:
		if json {
			return "<html> & \u2028"
		}
		return math.Inf(1 - 2*g.r.IntN(2))
	}
	return g.text()
}

func (g *docGen) comment() string {
	c := "# " + g.pick(genWords)
	switch g.r.IntN(5) {
	case 0:
		c = "# sops:enc"
	case 1:
		c = "# sops:plain"
	case 2:
		c += "\n# " + g.pick(genWords)
	}
	return c
}

// yamlDocuments returns one to three YAML documents.
func (g *docGen) yamlDocuments(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := yamlv3.NewEncoder(&buf)
	enc.SetIndent(2 + g.r.IntN(3))
	for range 1 + g.r.IntN(3)/2 {
		doc := &yamlv3.Node{Kind: yamlv3.DocumentNode, Content: []*yamlv3.Node{g.yamlMapping(t, 0)}}
		if g.r.IntN(3) == 0 {
			doc.HeadComment = g.comment()
		}
		if err := enc.Encode(doc); err != nil {
			t.Fatalf("encode generated YAML: %v", err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatalf("encode generated YAML: %v", err)
	}
	return buf.Bytes()
}

func (g *docGen) yamlMapping(t *testing.T, depth int) *yamlv3.Node {
	m := &yamlv3.Node{Kind: yamlv3.MappingNode}
	used := map[string]bool{}
	for range 1 + g.r.IntN(6) {
		k := g.pick(genKeys)
		if used[k] {
			continue
		}
		used[k] = true
		kn := g.yamlScalar(t, k)
		if g.r.IntN(4) == 0 {
			kn.HeadComment = g.comment()
		}
		v := g.yamlValue(t, depth+1)
		if v.Kind == yamlv3.ScalarNode && g.r.IntN(4) == 0 {
			v.LineComment = "# " + g.pick(genWords)
		}
		m.Content = append(m.Content, kn, v)
	}
	if g.r.IntN(6) == 0 {
		m.Content[len(m.Content)-2].FootComment = g.comment()
	}
	return m
}

func (g *docGen) yamlValue(t *testing.T, depth int) *yamlv3.Node {
	switch r := g.r.IntN(10); {
	case depth < 4 && r < 2:
		return g.yamlMapping(t, depth)
	case depth < 4 && r < 4:
		return g.yamlList(t, depth)
	}
	return g.yamlScalar(t, g.scalar(false))
}

func (g *docGen) yamlList(t *testing.T, depth int) *yamlv3.Node {
	l := &yamlv3.Node{Kind: yamlv3.SequenceNode}
	for range g.r.IntN(5) {
		var e *yamlv3.Node
		if g.r.IntN(3) == 0 && depth < 4 {
			e = g.yamlMapping(t, depth+1) // a list of mappings
		} else {
			e = g.yamlValue(t, depth+1)
		}
		if g.r.IntN(5) == 0 {
			e.HeadComment = g.comment()
		}
		l.Content = append(l.Content, e)
	}
	return l
}

func (g *docGen) yamlScalar(t *testing.T, v any) *yamlv3.Node {
	t.Helper()
	n := &yamlv3.Node{}
	if err := n.Encode(v); err != nil {
		t.Fatalf("encode generated scalar: %v", err)
	}
	if n.Kind == yamlv3.ScalarNode && n.Style == 0 && strings.Contains(n.Value, "\n") && g.r.IntN(2) == 0 {
		n.Style = yamlv3.LiteralStyle
	}
	return n
}

// jsonDocument returns a JSON object, its members in generated order (with duplicates at
// times, which SOPS keeps).
func (g *docGen) jsonDocument() []byte {
	var b bytes.Buffer
	g.jsonObject(&b, 0)
	return b.Bytes()
}

func (g *docGen) jsonObject(b *bytes.Buffer, depth int) {
	b.WriteString("{")
	for i := range g.r.IntN(6) + 1 {
		if i > 0 {
			b.WriteString(",\n")
		}
		g.jsonScalar(b, g.pick(genKeys))
		b.WriteString(": ")
		g.jsonValue(b, depth+1)
	}
	b.WriteString("}")
}

func (g *docGen) jsonValue(b *bytes.Buffer, depth int) {
	switch r := g.r.IntN(10); {
	case depth < 4 && r < 2:
		g.jsonObject(b, depth)
	case depth < 4 && r < 4:
		b.WriteString("[")
		for i := range g.r.IntN(5) {
			if i > 0 {
				b.WriteString(", ")
			}
			g.jsonValue(b, depth+1)
		}
		b.WriteString("]")
	default:
		g.jsonScalar(b, g.scalar(true))
	}
}

func (g *docGen) jsonScalar(b *bytes.Buffer, v any) {
	out, err := json.Marshal(v)
	if err != nil {
		out = []byte(`"unencodable"`) // only non-finite floats, which scalar(true) never gives
	}
	b.Write(out)
}
