package spec

import "fmt"

func (v *validator) validateEnvironments() {
	index := releaseIndex(v.file.Releases)
	names := make([]string, 0, len(v.file.Releases))
	for _, r := range v.file.Releases {
		names = append(names, r.Name)
	}
	for _, env := range sortedKeys(v.file.Environments) {
		e := v.file.Environments[env]
		p := path{"environments", env}
		if !identifier.MatchString(env) {
			v.add(p, fmt.Sprintf("invalid environment name %q", env), identifierRule)
		}
		v.validateCluster(p.with("cluster"), e.Cluster)
		for _, name := range sortedKeys(e.Releases) {
			rp := p.with("releases", name)
			if _, ok := index[name]; !ok {
				hint := didYouMean(name, names)
				if hint == "" {
					hint = "environments can only override releases defined under releases"
				}
				v.add(rp, fmt.Sprintf("environment %q overrides release %q, which is not defined", env, name), hint)
			}
			o := e.Releases[name]
			v.validateVersion(rp.with("version"), o.Version)
			v.validateValuesFiles(rp.with("valuesFiles"), o.ValuesFiles)
			v.validateIgnoreDifferences(rp.with("ignoreDifferences"), o.IgnoreDifferences)
			v.validateCRDs(rp.with("crds"), o.CRDs)
		}
	}
}
