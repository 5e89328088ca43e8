package cdk

import (
	"fmt"
	"regexp"
	"strings"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/spec"
)

// clusterSeen is the cluster one HelmChart points at.
type clusterSeen struct {
	where string
	eks   spec.EKS
	// notes are the blocking notes of its placeholders, by kaji.yaml field.
	notes map[string][]importer.Note
}

// seeCluster records the cluster of the HelmChart that b reads: ClusterName, RoleArn (the
// role the kubectl handler assumes), and the region of the stack.
func (rd *reader) seeCluster(b *release) {
	c := clusterSeen{where: b.where, notes: map[string][]importer.Note{}}
	eval := func(field string, v any) string {
		var r resolver
		text := r.str(b.s, v)
		for _, m := range r.missing {
			c.notes[field] = append(c.notes[field], importer.Note{
				Where: b.where, Message: fmt.Sprintf("%s: %s stands for %s", field, m.text, m.hint), Blocking: true,
			})
		}
		return text
	}
	c.eks.Name = eval("cluster.eks.name", b.props["ClusterName"])
	c.eks.RoleARN = eval("cluster.eks.roleArn", b.props["RoleArn"])
	if b.s.region != "" {
		c.eks.Region = b.s.region
	} else {
		c.eks.Region = placeholder("Ref AWS::Region")
		c.notes["cluster.eks.region"] = []importer.Note{{
			Where:    b.where,
			Message:  fmt.Sprintf("cluster.eks.region: %s stands for the region of cluster %s, which stack %s does not name: pass --region", c.eks.Region, c.eks.Name, b.s.stack),
			Blocking: true,
		}}
	}
	rd.clusters = append(rd.clusters, c)
}

// finishCluster sets Found.Cluster to the cluster that most HelmCharts run on (the first of
// them on a tie), with a region from another HelmChart of that cluster when the first one's
// stack does not name it, and notes every HelmChart that runs on another cluster.
func (rd *reader) finishCluster() {
	if len(rd.clusters) == 0 {
		return
	}
	chosen, most := 0, 0
	for i, c := range rd.clusters {
		n := 0
		for _, o := range rd.clusters {
			if sameCluster(c.eks, o.eks) {
				n++
			}
		}
		if n > most {
			chosen, most = i, n
		}
	}
	first := rd.clusters[chosen]
	if IsPlaceholder(first.eks.Region) {
		for _, c := range rd.clusters {
			if sameCluster(first.eks, c.eks) && !IsPlaceholder(c.eks.Region) {
				first.eks.Region = c.eks.Region
				delete(first.notes, "cluster.eks.region")
				break
			}
		}
	}
	for _, field := range []string{"cluster.eks.name", "cluster.eks.region", "cluster.eks.roleArn"} {
		rd.found.Notes = append(rd.found.Notes, first.notes[field]...)
	}
	eks := first.eks
	rd.found.Cluster = &spec.Cluster{EKS: &eks}
	for _, c := range rd.clusters {
		if sameCluster(first.eks, c.eks) {
			continue
		}
		rd.found.Notes = append(rd.found.Notes, importer.Note{
			Where: c.where,
			Message: fmt.Sprintf("this HelmChart runs on cluster %s (region %s, role %s), not on %s (region %s, role %s) of %s, which kaji.yaml's cluster.eks names: "+
				"import each cluster's stacks into a kaji.yaml of its own with --stack, or leave this release out",
				c.eks.Name, c.eks.Region, c.eks.RoleARN, first.eks.Name, eks.Region, first.eks.RoleARN, first.where),
			Blocking: true,
		})
	}
}

// sameCluster reports whether two clusters may be the same: a placeholder matches any text.
func sameCluster(a, b spec.EKS) bool {
	return mayEqual(a.Name, b.Name) && mayEqual(a.Region, b.Region) && mayEqual(a.RoleARN, b.RoleARN)
}

var placeholderPattern = regexp.MustCompile(regexp.QuoteMeta(placeholderPrefix) + `[^>]*>`)

// mayEqual reports whether a and b are equal once their placeholders are filled in.
func mayEqual(a, b string) bool {
	if a == b {
		return true
	}
	return wildcard(a).MatchString(b) || wildcard(b).MatchString(a)
}

func wildcard(s string) *regexp.Regexp {
	parts := placeholderPattern.Split(s, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}
