package importer

import (
	"reflect"
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
