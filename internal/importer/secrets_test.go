package importer

import (
	"reflect"
	"strings"
	"testing"
)

func TestIsSecretKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "adminPassword": true, "postgresPassword": true, "token": true,
		"apiToken": true, "secretKey": true, "clientSecret": true, "apiKey": true, "key": true,
		"accessKey": true, "privateKey": true, "credentials": true, "licenseKey": true,
		"existingSecret": false, "secretName": false, "passwordSecretName": false,
		"existingSecretPasswordKey": false, "createSecret": false, "tokenPath": false,
		"replicaCount": false, "image": false, "keyName": false, "secretKeyRef": false,
		"sshKey": true, "useToken": false, "keys": false, "passwordLength": false, "secretAnnotations": false,
	} {
		if got := IsSecretKey(key); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestSplitSecrets(t *testing.T) {
	in := map[string]any{
		"adminPassword": "hunter2",
		"replicas":      float64(2),
		"auth": map[string]any{
			"existingSecret": "db-auth",
			"password":       "pw",
			"username":       "app",
		},
		"only": map[string]any{"token": "t"},
		"empty": map[string]any{
			"password": "",
		},
		"env": []any{map[string]any{"name": "TOKEN", "value": "x"}},
	}
	public, secret, paths := SplitSecrets(in)
	wantPublic := map[string]any{
		"replicas": float64(2),
		"auth":     map[string]any{"existingSecret": "db-auth", "username": "app"},
		"empty":    map[string]any{"password": ""},
		"env":      []any{map[string]any{"name": "TOKEN", "value": "x"}},
	}
	wantSecret := map[string]any{
		"adminPassword": "hunter2",
		"auth":          map[string]any{"password": "pw"},
		"only":          map[string]any{"token": "t"},
	}
	if !reflect.DeepEqual(public, wantPublic) {
		t.Errorf("public = %#v\nwant %#v", public, wantPublic)
	}
	if !reflect.DeepEqual(secret, wantSecret) {
		t.Errorf("secret = %#v\nwant %#v", secret, wantSecret)
	}
	if want := []string{"adminPassword", "auth.password", "only.token"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if _, ok := in["auth"].(map[string]any)["password"]; !ok {
		t.Error("SplitSecrets changed its input")
	}
}

// Secrets hide in lists, in numbers and under keys that name a group of secrets.
func TestSplitSecretsAnywhere(t *testing.T) {
	in := map[string]any{
		"users":   []any{map[string]any{"name": "admin", "password": "LISTPW"}},
		"db":      map[string]any{"password": float64(123456789), "host": "db"},
		"secrets": map[string]any{"DATABASE_URL": "postgres://u:URLPW@h"},
		"auth":    map[string]any{"password": true},
		"ports":   []any{float64(80)},
		"webhook": "{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:hook:SecretString:url::}}",
	}
	public, secret, paths := SplitSecrets(in)
	if want := []string{"db.password", "secrets", "users", "webhook"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	wantPublic := map[string]any{"db": map[string]any{"host": "db"}, "auth": map[string]any{"password": true}, "ports": []any{float64(80)}}
	if !reflect.DeepEqual(public, wantPublic) {
		t.Errorf("public = %#v", public)
	}
	if len(secret) != 4 {
		t.Errorf("secret = %#v", secret)
	}
}

func TestDifferencesMaskSecretsAtAnyDepth(t *testing.T) {
	have := definition{Values: map[string]any{"x": float64(1)}}
	want := definition{Values: map[string]any{"x": float64(1),
		"auth":  map[string]any{"password": "DIFFPW", "user": "u"},
		"users": []any{map[string]any{"password": "DIFFLIST"}},
	}}
	got := strings.Join(differences(have, want, true), "\n")
	for _, leak := range []string{"DIFFPW", "DIFFLIST"} {
		if strings.Contains(got, leak) {
			t.Errorf("a secret value is in the differences:\n%s", got)
		}
	}
	if !strings.Contains(got, "values.auth") || !strings.Contains(got, "(secret)") {
		t.Errorf("differences:\n%s", got)
	}
}
