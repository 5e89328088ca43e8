package sopsvalues

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/google/shlex"
)

// The places SOPS reads age identities from, and that kaji reads them from in the same way.
const (
	envAgeKey       = "SOPS_AGE_KEY"      // identities, several per line allowed
	envAgeKeyFile   = "SOPS_AGE_KEY_FILE" // a file of identities, one per line
	envAgeKeyCmd    = "SOPS_AGE_KEY_CMD"  // a command that prints identities
	envAgeRecipient = "SOPS_AGE_RECIPIENT"
	// userAgeKeys is the identities file under the user's configuration directory.
	userAgeKeys = "sops/age/keys.txt"
)

// decryptAge decrypts a data key that SOPS encrypted (armored) for an age recipient, with
// the identities found where SOPS looks for them.
func decryptAge(recipient, enc string) ([]byte, error) {
	ids, unused, loadErrs := ageIdentities(recipient)
	if len(ids) == 0 {
		return nil, ageError("failed to load age identities", nil, loadErrs, unused)
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(enc)), ids...)
	if err != nil {
		return nil, ageError("failed to create reader for decrypting sops data key with age", err, loadErrs, unused)
	}
	key, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("failed to read the sops data key decrypted with age: %w", err)
	}
	return key, nil
}

// ageError words a failure as SOPS does: what failed, the errors met while loading
// identities, and the places where none was found.
func ageError(what string, err error, loadErrs []error, unused []string) error {
	var b strings.Builder
	b.WriteString(what)
	if err != nil {
		b.WriteString(": " + err.Error())
	}
	if len(loadErrs) > 0 {
		msgs := make([]string, len(loadErrs))
		for i, e := range loadErrs {
			msgs[i] = e.Error()
		}
		b.WriteString(". Errors while loading age identities: " + strings.Join(msgs, "; "))
	}
	switch n := len(unused); {
	case n == 1:
		fmt.Fprintf(&b, ". Did not find keys in location '%s'.", unused[0])
	case n == 2:
		fmt.Fprintf(&b, ". Did not find keys in locations '%s' and '%s'.", unused[0], unused[1])
	case n > 2:
		fmt.Fprintf(&b, ". Did not find keys in locations '%s', and '%s'.", strings.Join(unused[:n-1], "', '"), unused[n-1])
	}
	return &ageLoadError{msg: b.String(), err: errors.Join(append([]error{err}, loadErrs...)...)}
}

type ageLoadError struct {
	msg string
	err error
}

func (e *ageLoadError) Error() string { return e.msg }
func (e *ageLoadError) Unwrap() error { return e.err }

// identitySource is one place identities were read from.
type identitySource struct {
	location string
	data     []byte
	// several: several identities may share a line, separated by spaces (SOPS_AGE_KEY).
	several bool
}

// ageIdentities loads the identities from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the output of
// SOPS_AGE_KEY_CMD (run with SOPS_AGE_RECIPIENT set to recipient), and from the user's
// sops/age/keys.txt, which is only reported missing when nothing else was set. It returns
// the identities, the places that gave none, and the errors met.
func ageIdentities(recipient string) ([]age.Identity, []string, []error) {
	var sources []identitySource
	var unused []string
	var errs []error
	if v, ok := os.LookupEnv(envAgeKey); ok {
		sources = append(sources, identitySource{location: envAgeKey, data: []byte(v), several: true})
	} else {
		unused = append(unused, envAgeKey)
	}
	if path, ok := os.LookupEnv(envAgeKeyFile); ok {
		if data, err := os.ReadFile(path); err != nil {
			errs = append(errs, fmt.Errorf("failed to open %s file: %w", envAgeKeyFile, err))
		} else {
			sources = append(sources, identitySource{location: envAgeKeyFile, data: data})
		}
	} else {
		unused = append(unused, envAgeKeyFile)
	}
	if command, ok := os.LookupEnv(envAgeKeyCmd); ok {
		if out, err := runKeyCommand(command, recipient); err != nil {
			errs = append(errs, err)
		} else {
			sources = append(sources, identitySource{location: envAgeKeyCmd, data: out})
		}
	} else {
		unused = append(unused, envAgeKeyCmd)
	}
	dir, err := userConfigDir()
	switch {
	case err != nil && len(sources) == 0:
		errs = append(errs, fmt.Errorf("user config directory could not be determined: %w", err))
	case dir != "":
		path := filepath.Join(dir, filepath.FromSlash(userAgeKeys))
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			sources = append(sources, identitySource{location: path, data: data})
		case !errors.Is(err, os.ErrNotExist):
			errs = append(errs, fmt.Errorf("failed to open file: %w", err))
		case len(sources) == 0:
			unused = append(unused, path)
		}
	}
	var ids []age.Identity
	for _, src := range sources {
		found, err := parseIdentities(src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(found) == 0 {
			unused = append(unused, src.location)
		}
		ids = append(ids, found...)
	}
	return ids, unused, errs
}

// userConfigDir is os.UserConfigDir, except that on macOS XDG_CONFIG_HOME wins, as in SOPS.
func userConfigDir() (string, error) {
	if runtime.GOOS == "darwin" {
		if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
			return dir, nil
		}
	}
	return os.UserConfigDir()
}

// runKeyCommand runs SOPS_AGE_KEY_CMD, split into words as a shell would, and returns what
// it prints. Its standard error is not kept: it may hold anything.
func runKeyCommand(command, recipient string) ([]byte, error) {
	args, err := shlex.Split(command)
	if err != nil || len(args) == 0 {
		return nil, fmt.Errorf("failed to parse command %s: want a command and its arguments", command)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), envAgeRecipient+"="+recipient)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("failed to execute command %s: %w", command, err)
	}
	return out, nil
}

// parseIdentities reads the identities of one source: one per line (or several, separated
// by spaces, where allowed), skipping empty lines and # comments. Errors give the line, never
// its text.
func parseIdentities(src identitySource) ([]age.Identity, error) {
	if bytes.HasPrefix(src.data, []byte("age-encryption.org/")) || bytes.HasPrefix(src.data, []byte("-----BEGIN AGE")) {
		return nil, fmt.Errorf("the identities in %s are encrypted with a passphrase, which kaji cannot ask for; give kaji the identity itself", src.location)
	}
	var ids []age.Identity
	sc := bufio.NewScanner(bytes.NewReader(src.data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		words := []string{line}
		if src.several {
			words = strings.Fields(line)
		}
		for _, w := range words {
			id, err := parseIdentity(w)
			if err != nil {
				return nil, fmt.Errorf("failed to parse age identities in %s: line %d: %w", src.location, n, err)
			}
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("failed to read age identities in %s: %w", src.location, err)
	}
	return ids, nil
}

func parseIdentity(s string) (age.Identity, error) {
	var id age.Identity
	var err error
	switch {
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		return nil, errors.New("age plugin identities are not supported by kaji")
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		id, err = age.ParseHybridIdentity(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		id, err = age.ParseX25519Identity(s)
	default:
		return nil, errors.New("unknown identity type")
	}
	if err != nil {
		// age's message may carry part of the key: say only that it is malformed.
		return nil, errors.New("malformed age secret key")
	}
	return id, nil
}
