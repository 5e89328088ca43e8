package cdk

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"kaji.dev/kaji/internal/awspartition"
)

// placeholderPrefix starts every placeholder: text that stands for a value only known once a
// stack is deployed, such as <cdk-import: Fn::GetAtt GrafanaRole3A2DB257.Arn>. No chart value,
// release name or ARN looks like it, so it cannot pass for real data.
const placeholderPrefix = "<cdk-import: "

// IsPlaceholder reports whether s holds a placeholder that kaji import wrote for a value it
// could not resolve offline.
func IsPlaceholder(s string) bool {
	return strings.Contains(s, placeholderPrefix)
}

func placeholder(what string) string {
	return placeholderPrefix + what + ">"
}

// unresolved is a reference that could not be resolved offline.
type unresolved struct {
	// text is the placeholder written in its place.
	text string
	// hint says what it stands for and how to find or give the value.
	hint string
}

// scope resolves the intrinsic functions of one template.
type scope struct {
	// file is the template file as shown to the user, such as cdk.out/App.template.json.
	file string
	// stack names the stack for messages: its name, or for a nested stack "nested in NAME".
	stack string
	// stackName is the deployed stack's name, for AWS::StackName; empty for nested stacks.
	stackName string
	// region and account are the resolved pseudo parameters, empty when unknown.
	region, account string
	// parent is the scope of the template that holds this nested stack, and params the
	// Parameters its AWS::CloudFormation::Stack resource passes; nil for a top-level stack.
	parent *scope
	params map[string]any
	// resources are the logical IDs of the template's resources and their types.
	resources map[string]string
	// parameters are the names of the template's parameters.
	parameters map[string]bool
}

// resolver accumulates what could not be resolved while evaluating one property.
type resolver struct {
	missing []unresolved
}

func (r *resolver) add(text, hint string) string {
	for _, m := range r.missing {
		if m.text == text {
			return text
		}
	}
	r.missing = append(r.missing, unresolved{text: text, hint: hint})
	return text
}

// str evaluates v to a string in scope s: literals as written, references resolved where they
// can be offline, the rest as placeholders recorded in r.
func (r *resolver) str(s *scope, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case map[string]any:
		if len(v) == 1 {
			for fn, arg := range v {
				return r.intrinsic(s, fn, arg)
			}
		}
		return r.add(placeholder("object"), fmt.Sprintf("an object where text belongs in %s", s.file))
	case []any:
		return r.add(placeholder("list"), fmt.Sprintf("a list where text belongs in %s", s.file))
	}
	return r.add(placeholder(fmt.Sprintf("%T", v)), fmt.Sprintf("a value of an unknown kind in %s", s.file))
}

func (r *resolver) intrinsic(s *scope, fn string, arg any) string {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return r.ref(s, name)
	case "Fn::GetAtt":
		id, attr := getAtt(arg)
		return r.getAtt(s, id, attr)
	case "Fn::Join":
		sep, parts, ok := joinArgs(arg)
		if !ok {
			break
		}
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = r.str(s, p)
		}
		return strings.Join(texts, sep)
	case "Fn::Sub":
		return r.sub(s, arg)
	case "Fn::Select":
		if args, ok := arg.([]any); ok && len(args) == 2 {
			i, err := strconv.Atoi(r.str(s, args[0]))
			if list, isList := args[1].([]any); err == nil && isList && i >= 0 && i < len(list) {
				return r.str(s, list[i])
			}
		}
	case "Fn::ImportValue":
		name := r.str(s, arg)
		return r.add(placeholder("Fn::ImportValue "+name),
			fmt.Sprintf("the export %s of another stack: its value is on the CloudFormation console's Exports page of the stack's region", name))
	}
	return r.add(placeholder(fn), fmt.Sprintf("%s, which cannot be evaluated offline: read the value the deployed stack %s has", fn, s.stack))
}

// ref resolves Ref name: a pseudo parameter, a parameter a parent stack passes, or a resource.
func (r *resolver) ref(s *scope, name string) string {
	switch name {
	case "AWS::Region":
		if s.region != "" {
			return s.region
		}
		return r.add(placeholder("Ref AWS::Region"), fmt.Sprintf("the region stack %s deploys to: pass --region", s.stack))
	case "AWS::AccountId":
		if s.account != "" {
			return s.account
		}
		return r.add(placeholder("Ref AWS::AccountId"), fmt.Sprintf("the account stack %s deploys to: pass --account", s.stack))
	case "AWS::Partition":
		if s.region != "" {
			return awspartition.Of(s.region)
		}
		return r.add(placeholder("Ref AWS::Partition"), fmt.Sprintf("the partition of the region stack %s deploys to: pass --region", s.stack))
	case "AWS::URLSuffix":
		if s.region != "" {
			return urlSuffix(s.region)
		}
		return r.add(placeholder("Ref AWS::URLSuffix"), fmt.Sprintf("the domain of the region stack %s deploys to: pass --region", s.stack))
	case "AWS::StackName":
		if s.stackName != "" {
			return s.stackName
		}
	}
	if v, ok := s.params[name]; ok && s.parent != nil {
		return r.str(s.parent, v)
	}
	if s.parameters[name] {
		return r.add(placeholder("Ref "+name),
			fmt.Sprintf("the parameter %s, given when stack %s is deployed: read it on the stack's Parameters tab", name, s.stack))
	}
	if typ, ok := s.resources[name]; ok {
		return r.add(placeholder("Ref "+name),
			fmt.Sprintf("the Ref of resource %s (%s) of stack %s, known once deployed: read it on the stack's Resources tab", name, typ, s.stack))
	}
	return r.add(placeholder("Ref "+name), fmt.Sprintf("%s of stack %s, known once deployed", name, s.stack))
}

func (r *resolver) getAtt(s *scope, id, attr string) string {
	typ := s.resources[id]
	if typ == "" {
		typ = "unknown type"
	}
	return r.add(placeholder("Fn::GetAtt "+id+"."+attr),
		fmt.Sprintf("the %s of resource %s (%s) of stack %s, known once deployed: read it on the stack's Resources tab", attr, id, typ, s.stack))
}

// sub evaluates Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" with optional variables.
func (r *resolver) sub(s *scope, arg any) string {
	text, _ := arg.(string)
	var vars map[string]any
	if args, ok := arg.([]any); ok && len(args) == 2 {
		text, _ = args[0].(string)
		vars, _ = args[1].(map[string]any)
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text[i:])
			return b.String()
		}
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		switch v, ok := vars[name]; {
		case strings.HasPrefix(name, "!"):
			b.WriteString("${" + name[1:] + "}")
		case ok:
			b.WriteString(r.str(s, v))
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			id, attr, _ := strings.Cut(name, ".")
			b.WriteString(r.getAtt(s, id, attr))
		default:
			b.WriteString(r.ref(s, name))
		}
	}
}

func getAtt(arg any) (id, attr string) {
	switch a := arg.(type) {
	case []any:
		if len(a) == 2 {
			id, _ = a[0].(string)
			attr, _ = a[1].(string)
		}
	case string:
		id, attr, _ = strings.Cut(a, ".")
	}
	return id, attr
}

func joinArgs(arg any) (sep string, parts []any, ok bool) {
	a, isList := arg.([]any)
	if !isList || len(a) != 2 {
		return "", nil, false
	}
	sep, okSep := a[0].(string)
	parts, okParts := a[1].([]any)
	return sep, parts, okSep && okParts
}

// jsonText evaluates v, a JSON document written as a string or as an Fn::Join of literal JSON
// text and references (what CDK's toJsonString makes of values with tokens), to JSON text.
// References inside a JSON string are escaped into it; one outside a string (a number token)
// is written as itself when it is a JSON literal, else quoted.
func (r *resolver) jsonText(s *scope, v any) string {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 || m["Fn::Join"] == nil {
		return r.str(s, v)
	}
	sep, parts, ok := joinArgs(m["Fn::Join"])
	if !ok {
		return r.str(s, v)
	}
	var b strings.Builder
	var scan jsonScanner
	write := func(text string) {
		b.WriteString(text)
		scan.feed(text)
	}
	for i, p := range parts {
		if i > 0 {
			write(sep)
		}
		if lit, isLit := p.(string); isLit {
			write(lit)
			continue
		}
		text := r.str(s, p)
		switch {
		case scan.inString:
			quoted := jsonQuote(text)
			write(quoted[1 : len(quoted)-1])
		case !IsPlaceholder(text) && json.Valid([]byte(text)):
			write(text)
		default:
			write(jsonQuote(text))
		}
	}
	return b.String()
}

// jsonQuote returns s as a JSON string, with <, > and & as themselves.
func jsonQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return `""` // a string always encodes
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// jsonScanner follows whether JSON text written so far ends inside a string.
type jsonScanner struct {
	inString, escaped bool
}

func (j *jsonScanner) feed(text string) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case j.escaped:
			j.escaped = false
		case j.inString && c == '\\':
			j.escaped = true
		case c == '"':
			j.inString = !j.inString
		}
	}
}

func urlSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}
