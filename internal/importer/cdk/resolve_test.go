package cdk

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	parent := &scope{
		file: "cdk.out/App.template.json", stack: "app", stackName: "app", region: "cn-north-1", account: "111111111111",
		resources: map[string]string{"Role1": "AWS::IAM::Role"},
	}
	nested := &scope{
		file: "cdk.out/AppNested.nested.template.json", stack: "app/Nested", region: "cn-north-1", account: "111111111111",
		parent: parent, params: map[string]any{"roleArn": map[string]any{"Fn::GetAtt": []any{"Role1", "Arn"}}, "literal": "passed"},
		parameters: map[string]bool{"roleArn": true, "literal": true, "unpassed": true},
	}
	agnostic := &scope{file: "cdk.out/Tools.template.json", stack: "Tools", stackName: "Tools", parameters: map[string]bool{"Env": true}}
	for _, tc := range []struct {
		name    string
		s       *scope
		expr    string
		want    string
		missing []string
	}{
		{name: "literal", s: parent, expr: `"text"`, want: "text"},
		{name: "number", s: parent, expr: `3`, want: "3"},
		{name: "pseudo parameters", s: parent,
			expr: `{"Fn::Join":["/",[{"Ref":"AWS::Region"},{"Ref":"AWS::AccountId"},{"Ref":"AWS::Partition"},{"Ref":"AWS::URLSuffix"},{"Ref":"AWS::StackName"}]]}`,
			want: "cn-north-1/111111111111/aws-cn/amazonaws.com.cn/app"},
		{name: "unknown pseudo parameters", s: agnostic,
			expr:    `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::",{"Ref":"AWS::AccountId"},":role/x"]]}`,
			want:    "arn:<cdk-import: Ref AWS::Partition>:iam::<cdk-import: Ref AWS::AccountId>:role/x",
			missing: []string{"<cdk-import: Ref AWS::Partition>", "<cdk-import: Ref AWS::AccountId>"}},
		{name: "parameter passed by the parent", s: nested, expr: `{"Ref":"literal"}`, want: "passed"},
		{name: "parameter passed as an attribute", s: nested, expr: `{"Ref":"roleArn"}`,
			want: "<cdk-import: Fn::GetAtt Role1.Arn>", missing: []string{"<cdk-import: Fn::GetAtt Role1.Arn>"}},
		{name: "parameter not passed", s: nested, expr: `{"Ref":"unpassed"}`,
			want: "<cdk-import: Ref unpassed>", missing: []string{"<cdk-import: Ref unpassed>"}},
		{name: "stack parameter", s: agnostic, expr: `{"Ref":"Env"}`,
			want: "<cdk-import: Ref Env>", missing: []string{"<cdk-import: Ref Env>"}},
		{name: "resource", s: parent, expr: `{"Ref":"Role1"}`,
			want: "<cdk-import: Ref Role1>", missing: []string{"<cdk-import: Ref Role1>"}},
		{name: "get attribute string form", s: parent, expr: `{"Fn::GetAtt":"Role1.RoleId"}`,
			want: "<cdk-import: Fn::GetAtt Role1.RoleId>", missing: []string{"<cdk-import: Fn::GetAtt Role1.RoleId>"}},
		{name: "sub", s: parent, expr: `{"Fn::Sub":"cdk-${AWS::AccountId}-${AWS::Region}-${!Literal}-${Role1.Arn}"}`,
			want:    "cdk-111111111111-cn-north-1-${Literal}-<cdk-import: Fn::GetAtt Role1.Arn>",
			missing: []string{"<cdk-import: Fn::GetAtt Role1.Arn>"}},
		{name: "sub with variables", s: parent, expr: `{"Fn::Sub":["${A}-${AWS::Region}",{"A":{"Ref":"AWS::AccountId"}}]}`,
			want: "111111111111-cn-north-1"},
		{name: "select", s: parent, expr: `{"Fn::Select":["1",["a",{"Ref":"AWS::Region"}]]}`, want: "cn-north-1"},
		{name: "import value", s: parent, expr: `{"Fn::ImportValue":"zone"}`,
			want: "<cdk-import: Fn::ImportValue zone>", missing: []string{"<cdk-import: Fn::ImportValue zone>"}},
		{name: "other function", s: parent, expr: `{"Fn::If":["c","a","b"]}`,
			want: "<cdk-import: Fn::If>", missing: []string{"<cdk-import: Fn::If>"}},
		{name: "same placeholder twice", s: agnostic, expr: `{"Fn::Join":["-",[{"Ref":"AWS::Region"},{"Ref":"AWS::Region"}]]}`,
			want: "<cdk-import: Ref AWS::Region>-<cdk-import: Ref AWS::Region>", missing: []string{"<cdk-import: Ref AWS::Region>"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.expr), &v); err != nil {
				t.Fatal(err)
			}
			var r resolver
			if got := r.str(tc.s, v); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			var missing []string
			for _, m := range r.missing {
				missing = append(missing, m.text)
				if m.hint == "" {
					t.Errorf("%s has no hint", m.text)
				}
			}
			if strings.Join(missing, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("missing %q, want %q", missing, tc.missing)
			}
		})
	}
}

// TestJSONText checks values written as an Fn::Join of JSON text and references: what lands
// inside a JSON string is escaped into it, what lands outside is a literal or a quoted string.
func TestJSONText(t *testing.T) {
	s := &scope{file: "cdk.out/App.template.json", stack: "app", region: "eu-west-1",
		parent: &scope{stack: "parent"}, params: map[string]any{"quoted": `say "hi"\now`}}
	for _, tc := range []struct {
		name, expr, want string
	}{
		{name: "a JSON string", expr: `"{\"a\":1}"`, want: `{"a":1}`},
		{name: "inside a string", expr: `{"Fn::Join":["",["{\"r\":\"",{"Ref":"AWS::Region"},"\"}"]]}`, want: `{"r":"eu-west-1"}`},
		{name: "escaped into a string", expr: `{"Fn::Join":["",["{\"q\":\"",{"Ref":"quoted"},"\"}"]]}`, want: `{"q":"say \"hi\"\\now"}`},
		{name: "after an escaped quote", expr: `{"Fn::Join":["",["{\"q\":\"a\\\"b",{"Ref":"AWS::Region"},"\"}"]]}`, want: `{"q":"a\"beu-west-1"}`},
		{name: "a number outside a string", expr: `{"Fn::Join":["",["{\"n\":",{"Fn::Select":["0",["42"]]},"}"]]}`, want: `{"n":42}`},
		{name: "a placeholder outside a string", expr: `{"Fn::Join":["",["{\"n\":",{"Ref":"AWS::AccountId"},"}"]]}`, want: `{"n":"<cdk-import: Ref AWS::AccountId>"}`},
		{name: "text outside a string", expr: `{"Fn::Join":["",["{\"n\":",{"Ref":"AWS::Region"},"}"]]}`, want: `{"n":"eu-west-1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.expr), &v); err != nil {
				t.Fatal(err)
			}
			var r resolver
			got := r.jsonText(s, v)
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("%s is not valid JSON", got)
			}
		})
	}
}

func TestIsPlaceholder(t *testing.T) {
	for s, want := range map[string]bool{
		"<cdk-import: Ref AWS::Region>":              true,
		"arn:aws:iam::<cdk-import: Ref X>:role/kube": true,
		"eu-west-1": false,
		"<none>":    false,
	} {
		if got := IsPlaceholder(s); got != want {
			t.Errorf("IsPlaceholder(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestMayEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"prod", "prod", true},
		{"prod", "staging", false},
		{"arn:aws:iam::<cdk-import: Ref AWS::AccountId>:role/prod", "arn:aws:iam::111111111111:role/prod", true},
		{"arn:aws:iam::111111111111:role/prod", "arn:aws:iam::<cdk-import: Ref AWS::AccountId>:role/prod", true},
		{"arn:aws:iam::<cdk-import: Ref AWS::AccountId>:role/prod", "arn:aws:iam::111111111111:role/staging", false},
		{"<cdk-import: Ref AWS::Region>", "us-east-1", true},
	} {
		if got := mayEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("mayEqual(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
