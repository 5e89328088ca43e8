// Package cdk reads the Helm charts of a synthesized AWS CDK app: every
// Custom::AWSCDK-EKS-HelmChart resource of its templates, nested stacks included, becomes a
// release in kaji.yaml's terms, with the cluster its charts run on.
package cdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/readlimit"
)

// Options narrow and complete what Read reads.
type Options struct {
	// Stack reads one stack only: its artifact ID, display name (construct path) or stack name.
	Stack string
	// Region and Account are the values of the pseudo parameters AWS::Region and
	// AWS::AccountId in stacks that are environment-agnostic. A stack synthesized for an
	// environment (aws://ACCOUNT/REGION in manifest.json) uses its own.
	Region, Account string
}

// Read reads the cloud assembly in dir (the cdk.out directory that cdk synth writes) and
// returns the releases of its HelmChart resources in the order of manifest.json's stacks and
// of each template's resources, nested stacks where they appear. What cannot be resolved
// offline is written as a placeholder (see IsPlaceholder) with a blocking note that says what
// it stands for.
func Read(dir string, opts Options) (*importer.Found, error) {
	stacks, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("%s holds no CloudFormation stacks: give the cdk.out directory of an app that defines stacks", filepath.Join(dir, "manifest.json"))
	}
	if opts.Stack != "" {
		stacks, err = selectStack(stacks, opts.Stack)
		if err != nil {
			return nil, err
		}
	}
	assets, err := readAssets(dir, stacks)
	if err != nil {
		return nil, err
	}
	rd := &reader{
		dir:    dir,
		shown:  shownDir(dir),
		assets: assets,
		found:  &importer.Found{Kind: importer.KindCDK, Repositories: map[string]string{}},
	}
	for _, st := range stacks {
		if err := rd.readStack(st, opts); err != nil {
			return nil, err
		}
	}
	rd.finishCluster()
	if len(rd.found.Releases) == 0 {
		rd.found.Notes = append(rd.found.Notes, importer.Note{
			Message: fmt.Sprintf("no %s resources in the templates of %s: nothing to import", helmChartType, stackList(stacks)),
		})
	}
	return rd.found, nil
}

// reader holds what Read has found so far.
type reader struct {
	dir, shown string
	assets     map[string]asset
	found      *importer.Found
	clusters   []clusterSeen
}

// readStack reads the templates of one top-level stack.
func (rd *reader) readStack(st stack, opts Options) error {
	region, account := st.region, st.account
	if region == "" {
		region = opts.Region
	} else if opts.Region != "" && opts.Region != region {
		rd.found.Notes = append(rd.found.Notes, importer.Note{
			Message: fmt.Sprintf("stack %s is synthesized for region %s: --region %s was not used for it", st.display, region, opts.Region),
		})
	}
	if account == "" {
		account = opts.Account
	} else if opts.Account != "" && opts.Account != account {
		rd.found.Notes = append(rd.found.Notes, importer.Note{
			Message: fmt.Sprintf("stack %s is synthesized for account %s: --account %s was not used for it", st.display, account, opts.Account),
		})
	}
	s := &scope{stack: st.stackName, stackName: st.stackName, region: region, account: account}
	return rd.readTemplate(s, st.templateFile, 0)
}

// shownDir is how the assembly directory is named in origins and notes: its last element, as
// in cdk.out/App.template.json.
func shownDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}

func (rd *reader) show(file string) string {
	return rd.shown + "/" + filepath.ToSlash(file)
}

func stackList(stacks []stack) string {
	names := make([]string, len(stacks))
	for i, st := range stacks {
		names[i] = st.display
		if st.stackName != st.display {
			names[i] += " (" + st.stackName + ")"
		}
	}
	return strings.Join(names, ", ")
}

func selectStack(stacks []stack, name string) ([]stack, error) {
	for _, st := range stacks {
		if name == st.id || name == st.display || name == st.stackName {
			return []stack{st}, nil
		}
	}
	return nil, fmt.Errorf("no stack %q in the cloud assembly: give --stack one of %s", name, stackList(stacks))
}

// maxAssemblyFile bounds each JSON file of a cloud assembly that import reads: CloudFormation
// takes templates of at most 1 MB, and manifest.json is far smaller, so a larger file is not
// CDK's, and is refused before it is read whole.
const maxAssemblyFile = 16 << 20

func readJSONFile(dir, file string, v any) error {
	data, err := readlimit.File(filepath.Join(dir, file), maxAssemblyFile)
	if tooLarge := (*readlimit.TooLargeError)(nil); errors.As(err, &tooLarge) {
		return fmt.Errorf("read %s: %w, more than any file of a cloud assembly that CDK writes", file, err)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s is missing from %s: synthesize the app again (cdk synth) and give its whole output directory: %w", file, dir, err)
		}
		return fmt.Errorf("read %s: %w", file, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s is not valid JSON: %w", filepath.Join(dir, file), err)
	}
	return nil
}
