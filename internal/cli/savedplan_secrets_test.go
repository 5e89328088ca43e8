package cli_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/savedplan"
	"kaji.dev/kaji/internal/secrets/secretstest"
)

// A saved plan of releases whose values hold secrets (a Secrets Manager reference and a SOPS
// file) holds neither the secrets nor their base64, nor does what plan prints; it applies;
// and once the secret is rotated, a plan saved before is refused: what apply would install
// changed.
func TestSavedPlanHoldsNoSecrets(t *testing.T) {
	env.Require(t)
	isolate(t)
	smS, sopsS, rotated := newSentinel("saved-sm"), newSentinel("saved-sops"), newSentinel("saved-rotated")
	guessed := newSentinel("saved-guessed")
	sim := awssim.StartT(t, strings.NewReplacer(
		"SSMVALUE", `"unused-parameter-value"`,
		"SMVALUE", strconv.Quote(`{"password":`+strconv.Quote(smS.value)+`}`)).Replace(secretsWorld))
	sim.SetEnv(t, "AKIADEPLOYER00000001", "eu-west-1")
	putSecret := func(version, password string) {
		t.Helper()
		if err := sim.PutSecret(awssim.Secret{Account: "111122223333", Region: "eu-west-1", Name: "kaji/db",
			Versions: []awssim.SecretVersion{{ID: version, Stages: []string{"AWSCURRENT"}, SecretString: `{"password":` + strconv.Quote(password) + `}`}}}); err != nil {
			t.Fatal(err)
		}
	}
	putSecret("v1", smS.value)
	key := secretstest.NewAgeKey(t)
	t.Setenv("SOPS_AGE_KEY", key.Identity())
	chart, err := filepath.Abs("testdata/secrets/charts/sentinel")
	if err != nil {
		t.Fatal(err)
	}
	flags, ns, _ := planProject(t, "saved-secrets", `
releases:
  - name: db-sm
    namespace: NS1
    chart: `+chart+`
    values:
      password: ref+awssecrets://kaji/db#/password
  - name: db-sops
    namespace: NS1
    chart: `+chart+`
    valuesFiles: [values/db.sops.yaml]
`)
	sopsFile := filepath.Join(filepath.Dir(flags[1]), "values", "db.sops.yaml")
	if err := os.MkdirAll(filepath.Dir(sopsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sopsFile, key.EncryptYAML(t, []byte("password: "+strconv.Quote(sopsS.value)+"\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	all := []sentinel{smS, sopsS, rotated, guessed}
	noLeak := func(what, text string) {
		t.Helper()
		for _, s := range all {
			if leaked := s.leaks(text); len(leaked) > 0 {
				t.Errorf("%s holds the secret (%q)", what, leaked)
			}
		}
	}
	planFile := filepath.Join(t.TempDir(), "plan.yaml")
	for _, args := range [][]string{{"plan", "--show-secrets", "--out", planFile}, {"apply", "--plan", planFile}} {
		r := kajiOK(t, flags, args...)
		noLeak("kaji "+args[0]+"'s output", r.out+r.err)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	noLeak("the saved plan", string(saved))
	if !strings.Contains(string(saved), "values/db.sops.yaml") {
		t.Errorf("the saved plan does not name the SOPS file it was computed from:\n%s", saved)
	}
	sec, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), "db-sm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Data["password"]) != smS.value {
		t.Errorf("apply --plan did not install the secret")
	}

	// No digest of the file can confirm a guess of a secret: with the secret's version kept
	// and its value changed (as a guess would be hashed), every digest stays the same.
	desired := func() map[string]string {
		t.Helper()
		kajiOK(t, flags, "plan", "--out", planFile)
		f, err := savedplan.Read(planFile)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range f.Releases {
			out[r.Name] = r.Desired + " " + r.Live
		}
		return out
	}
	before := desired()
	putSecret("v1", guessed.value)
	if after := desired(); !reflect.DeepEqual(before, after) {
		t.Errorf("the saved plan's digests depend on a secret's value, not only on its version:\n%v\n%v", before, after)
	}
	putSecret("v1", smS.value)

	// The secret is rotated after the plan was saved: the plan is refused.
	kajiOK(t, flags, "plan", "--out", planFile)
	putSecret("v2", rotated.value)
	r := refused(t, flags, planFile, "release "+ns+"/db-sm: what apply would install changed")
	noLeak("the refusal", r.out+r.err)
	if strings.Contains(r.err, "release "+ns+"/db-sops") {
		t.Errorf("the refusal names db-sops, which did not change:\n%s", r.err)
	}
}
