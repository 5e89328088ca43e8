package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// aliasBomb is YAML at indent with levels of lists of nine aliases to the level below.
func aliasBomb(levels int, indent string) string {
	var b strings.Builder
	b.WriteString(indent + `l0: &l0 ["x","x","x","x","x","x","x","x","x"]` + "\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "%sl%d: &l%d [%s]\n", indent, i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	return b.String()
}

const plainTemplate = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {greeting: {{ .Values.greeting | quote }}}\n"

// kaji validate refuses input built to explode with an error naming the file, using under
// 5 s of CPU and 600 MB of memory (the process's own figures, which a busy machine does not
// inflate): alias bombs in a values file and in inline values, 100,000 nested lists, and
// files of 100 MB.
func TestValidateRefusesExplodingInput(t *testing.T) {
	bin := binary(t)
	huge := func(dir, name string) {
		if err := os.Truncate(filepath.Join(dir, name), 100<<20); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name    string
		release string
		files   map[string]string
		grow    string // a file made 100 MB (sparse) after writing
		culprit string // the file the error names
		want    string
	}{
		{name: "alias bomb in a values file", release: "    valuesFiles: [bomb.yaml]\n",
			files: map[string]string{"bomb.yaml": aliasBomb(9, "")}, culprit: "bomb.yaml", want: "aliasing"},
		{name: "alias bomb in inline values", release: "    values:\n" + aliasBomb(9, "      "),
			culprit: "kaji.yaml", want: "aliases"},
		{name: "six levels of aliases in inline values", release: "    values:\n" + aliasBomb(6, "      "),
			culprit: "kaji.yaml", want: "aliases"},
		{name: "100,000 nested lists in a values file", release: "    valuesFiles: [deep.yaml]\n",
			files: map[string]string{"deep.yaml": "a: " + strings.Repeat("[", 100_000) + "\n"}, culprit: "deep.yaml", want: "depth"},
		{name: "a values file of 100 MB", release: "    valuesFiles: [big.yaml]\n",
			files: map[string]string{"big.yaml": "a: 1\n"}, grow: "big.yaml", culprit: "big.yaml", want: "larger than 4 MiB"},
		{name: "kaji.yaml of 100 MB", grow: "kaji.yaml", culprit: "kaji.yaml", want: "larger than 4 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := project(t, tt.release, plainTemplate, tt.files)
			if tt.grow != "" {
				huge(filepath.Dir(file), tt.grow)
			}
			cmd := exec.Command(bin, "validate", "-f", file)
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			err, ended := waitFor(cmd, 60*time.Second)
			if !ended {
				t.Fatalf("validate still ran after 60 s:\n%.2000s", out.String())
			}
			var exit *exec.ExitError
			text := out.String()
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(text, tt.culprit) || !strings.Contains(text, tt.want) {
				t.Fatalf("validate: %v; want exit 1 naming %s and saying %q:\n%.2000s", err, tt.culprit, tt.want, text)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			rss := ru.Maxrss >> 10
			t.Logf("refused using %s of CPU, %d MB at most", cpu.Round(time.Millisecond), rss)
			if cpu > 5*time.Second || rss > 600 {
				t.Errorf("used %s of CPU and %d MB; want under 5 s and 600 MB", cpu, rss)
			}
		})
	}
}
