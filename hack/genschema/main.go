// Command genschema prints the JSON Schema of kaji.yaml, generated from the Go types in
// internal/spec. make schema writes it to schema/kaji.schema.json.
package main

import (
	"fmt"
	"os"

	"kaji.dev/kaji/internal/spec"
)

func main() {
	out, err := spec.JSONSchema()
	if err == nil {
		_, err = os.Stdout.Write(out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genschema:", err)
		os.Exit(1)
	}
}
