package cdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Artifact types of a cloud assembly's manifest.json that Read follows.
const (
	artifactStack         = "aws:cloudformation:stack"
	artifactAssetManifest = "cdk:asset-manifest"
	artifactAssembly      = "cdk:cloud-assembly"
)

// stack is a top-level CloudFormation stack of the assembly.
type stack struct {
	// id is the artifact ID, display the construct path (Stage/Stack), stackName the name the
	// stack is deployed under.
	id, display, stackName string
	// templateFile is relative to the assembly's root directory.
	templateFile string
	// region and account come from the stack's environment; empty when environment-agnostic.
	region, account string
	// assetManifests are the asset manifests the stack depends on, relative to the root.
	assetManifests []string
}

type manifestJSON struct {
	Artifacts orderedObject `json:"artifacts"`
}

type artifactJSON struct {
	Type         string   `json:"type"`
	Environment  string   `json:"environment"`
	DisplayName  string   `json:"displayName"`
	Dependencies []string `json:"dependencies"`
	Properties   struct {
		TemplateFile  string `json:"templateFile"`
		StackName     string `json:"stackName"`
		File          string `json:"file"`
		DirectoryName string `json:"directoryName"`
	} `json:"properties"`
}

// readManifest returns the stacks of the assembly in dir, those of nested assemblies (CDK
// stages) included, in the order of the manifests.
func readManifest(dir string) ([]stack, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no directory %s: run cdk synth and give its output directory (cdk.out)", dir)
	case err != nil:
		return nil, fmt.Errorf("read the cloud assembly: %w", err)
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a directory: give the cdk.out directory that cdk synth writes", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no manifest.json in %s: it is not a synthesized cloud assembly; run cdk synth and give its output directory (cdk.out)", dir)
	}
	return readAssembly(dir, "", 0)
}

// maxAssemblyDepth bounds how deep nested assemblies are followed.
const maxAssemblyDepth = 10

func readAssembly(root, sub string, depth int) ([]stack, error) {
	if depth > maxAssemblyDepth {
		return nil, fmt.Errorf("cloud assemblies nested deeper than %d levels at %s", maxAssemblyDepth, sub)
	}
	var m manifestJSON
	if err := readJSONFile(root, path.Join(sub, "manifest.json"), &m); err != nil {
		return nil, err
	}
	manifests := map[string]string{}
	for _, id := range m.Artifacts.keys {
		var a artifactJSON
		if err := json.Unmarshal(m.Artifacts.values[id], &a); err == nil && a.Type == artifactAssetManifest {
			manifests[id] = path.Join(sub, a.Properties.File)
		}
	}
	var stacks []stack
	for _, id := range m.Artifacts.keys {
		var a artifactJSON
		if err := json.Unmarshal(m.Artifacts.values[id], &a); err != nil {
			return nil, fmt.Errorf("artifact %s of %s: %w", id, filepath.Join(root, sub, "manifest.json"), err)
		}
		switch a.Type {
		case artifactStack:
			st := stack{id: id, display: a.DisplayName, stackName: a.Properties.StackName,
				templateFile: path.Join(sub, a.Properties.TemplateFile)}
			if st.display == "" {
				st.display = id
			}
			if st.stackName == "" {
				st.stackName = id
			}
			st.account, st.region = parseEnvironment(a.Environment)
			for _, dep := range a.Dependencies {
				if file, ok := manifests[dep]; ok {
					st.assetManifests = append(st.assetManifests, file)
				}
			}
			stacks = append(stacks, st)
		case artifactAssembly:
			nested, err := readAssembly(root, path.Join(sub, a.Properties.DirectoryName), depth+1)
			if err != nil {
				return nil, err
			}
			stacks = append(stacks, nested...)
		}
	}
	return stacks, nil
}

// parseEnvironment reads aws://ACCOUNT/REGION; unknown-account and unknown-region (an
// environment-agnostic stack) are empty.
func parseEnvironment(env string) (account, region string) {
	account, region, _ = strings.Cut(strings.TrimPrefix(env, "aws://"), "/")
	if account == "unknown-account" {
		account = ""
	}
	if region == "unknown-region" {
		region = ""
	}
	return account, region
}

// asset is a file asset of the assembly, such as a chart directory given as chartAsset.
type asset struct {
	// name is the asset's display name (the construct path of the Asset); path is where its
	// files are, relative to the assembly's root.
	name, path string
}

type assetManifestJSON struct {
	Files map[string]struct {
		DisplayName string `json:"displayName"`
		Source      struct {
			Path string `json:"path"`
		} `json:"source"`
	} `json:"files"`
}

// readAssets reads the asset manifests of stacks, keyed by asset hash (the S3 object key
// without .zip).
func readAssets(root string, stacks []stack) (map[string]asset, error) {
	assets := map[string]asset{}
	for _, st := range stacks {
		for _, file := range st.assetManifests {
			var m assetManifestJSON
			if err := readJSONFile(root, file, &m); err != nil {
				return nil, err
			}
			for hash, f := range m.Files {
				assets[hash] = asset{name: f.DisplayName, path: path.Join(path.Dir(file), f.Source.Path)}
			}
		}
	}
	return assets, nil
}

// orderedObject is a JSON object whose keys keep the order they are written in.
type orderedObject struct {
	keys   []string
	values map[string]json.RawMessage
}

func (o *orderedObject) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object, got %v", tok)
	}
	o.values = map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if _, dup := o.values[key]; !dup {
			o.keys = append(o.keys, key)
		}
		o.values[key] = raw
	}
	_, err = dec.Token()
	return err
}
