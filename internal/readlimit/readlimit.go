// Package readlimit reads files that kaji takes from users up to a size limit, so that a
// file too large to be what it should be is refused before it is read whole: a file that
// grows, or a device that never ends, is cut off too.
package readlimit

import (
	"fmt"
	"io"
	"os"
)

// TooLargeError is a file larger than the limit it was read with. Its message leaves naming
// the file, and saying what to do, to the caller.
type TooLargeError struct {
	// Path is the file as named to File.
	Path string
	// Limit is the most File would read, in bytes.
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than %s", size(e.Limit))
}

// size writes a limit as people write sizes: in MiB when it is whole MiB.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// File reads the file at path, refusing one larger than limit bytes with a *TooLargeError
// after reading at most limit+1 bytes of it.
func File(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return data, nil
}
