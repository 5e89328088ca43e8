package validcache

import (
	"fmt"
	"os"

	"kaji.dev/kaji/internal/version"
)

// Binary names the running kaji: its version, and its executable's path, size and
// modification time, so that a development build rebuilt under the same version is another
// kaji. When the executable cannot be found, the process id stands in: nothing is reused.
func Binary() string {
	v := version.Get()
	id := v.Version + " " + v.GoVersion + " " + v.Helm + " " + v.Platform
	exe, err := os.Executable()
	if err != nil {
		return fmt.Sprintf("%s pid %d", id, os.Getpid())
	}
	info, err := os.Stat(exe)
	if err != nil {
		return fmt.Sprintf("%s pid %d", id, os.Getpid())
	}
	return fmt.Sprintf("%s %s %d %d", id, exe, info.Size(), info.ModTime().UnixNano())
}
