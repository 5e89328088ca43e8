package testenv

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func (e *Env) openLog(name string) (*os.File, error) {
	f, err := os.Create(filepath.Join(e.dir, name))
	if err != nil {
		return nil, fmt.Errorf("create log file: %w", err)
	}
	e.logs = append(e.logs, f)
	return f, nil
}

// logTail returns the last lines of the logs of the components that err names (of all when
// it names none), formatted to end an error message, so that a failed start says why.
func logTail(err error, logs map[string]string) string {
	const keep = 15
	components := slices.Sorted(maps.Keys(logs))
	named := slices.DeleteFunc(slices.Clone(components), func(c string) bool {
		return !strings.Contains(err.Error(), c)
	})
	if len(named) > 0 {
		components = named
	}
	var b strings.Builder
	for _, component := range components {
		data, rerr := os.ReadFile(logs[component])
		if rerr != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > keep {
			lines = lines[len(lines)-keep:]
		}
		fmt.Fprintf(&b, "\n--- last lines of the %s log ---\n%s", component, strings.Join(lines, "\n"))
	}
	return b.String()
}
