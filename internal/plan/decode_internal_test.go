package plan

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// createdSecrets keeps the Secrets that Helm's storage driver creates: records as Helm
// writes them.
type createdSecrets struct {
	typedcorev1.SecretInterface
	made *[]corev1.Secret
}

func (s createdSecrets) Create(_ context.Context, sec *corev1.Secret, _ metav1.CreateOptions) (*corev1.Secret, error) {
	*s.made = append(*s.made, *sec)
	return sec, nil
}

// Records are decoded a share on each core, and come back in the order listed, each with its
// labels; one that does not decode is left out, as Helm's driver leaves it out of a list.
func TestDecodeRecordsKeepsOrderAndSkipsTheUndecodable(t *testing.T) {
	var items []corev1.Secret
	d := driver.NewSecrets(createdSecrets{made: &items})
	for i := range 13 {
		rel := &rspb.Release{Name: fmt.Sprintf("r%02d", i), Namespace: "ns", Version: 1, Info: &rspb.Info{Status: common.StatusDeployed},
			Manifest: fmt.Sprintf("# manifest %d\n", i)}
		if err := d.Create(fmt.Sprintf("sh.helm.release.v1.r%02d.v1", i), rel); err != nil {
			t.Fatal(err)
		}
	}
	items[5].Data = map[string][]byte{"release": []byte("not a release")}
	for _, shares := range []int{0, 1, 2, 5, 20} {
		t.Run(fmt.Sprint(shares), func(t *testing.T) {
			rels, err := decodeRecords(items, shares)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rels {
				got = append(got, r.Name+" "+r.Manifest[2:len(r.Manifest)-1]+" "+r.Labels["name"])
			}
			var want []string
			for i := range 13 {
				if i != 5 {
					want = append(want, fmt.Sprintf("r%02d manifest %d r%02d", i, i, i))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("decoded %q\nwant %q", got, want)
			}
		})
	}
}
