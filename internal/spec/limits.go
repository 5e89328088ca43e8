package spec

import (
	"errors"
	"fmt"

	"kaji.dev/kaji/internal/readlimit"
)

// MaxFileSize bounds kaji.yaml and each values file kaji reads. YAML costs about a
// microsecond and a few hundred bytes per node to read, and Helm reads a values file more
// than once, so a dense file of this size already takes seconds and hundreds of MB; the
// largest values file of a popular chart is about 100 KiB.
const MaxFileSize = 4 << 20

// FileTooLargeError is a kaji.yaml or values file larger than MaxFileSize. Its message
// leaves naming the file to the caller, as os errors wrapped by callers do.
type FileTooLargeError struct {
	// File is the file as named to kaji.
	File string
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("larger than %d MiB, the most kaji reads from one kaji.yaml or values file "+
		"(split its values into several files)", MaxFileSize>>20)
}

// ReadFile reads a kaji.yaml or values file, refusing one larger than MaxFileSize with a
// *FileTooLargeError before reading more than that: a file that grows, or a device that never
// ends, is cut off too.
func ReadFile(path string) ([]byte, error) {
	data, err := readlimit.File(path, MaxFileSize)
	if tooLarge := (*readlimit.TooLargeError)(nil); errors.As(err, &tooLarge) {
		return nil, &FileTooLargeError{File: path}
	}
	return data, err
}
