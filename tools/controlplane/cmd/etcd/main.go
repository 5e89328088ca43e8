// Command etcd is etcd's own server entry point, built from go.etcd.io/etcd/server/v3 so that
// kaji's tests and dev cluster need nothing but Go. It is the body of etcd's main.go, plus
// parentwatch: it stops once the process that started it is gone.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"

	"kaji.dev/kaji/tools/controlplane/internal/parentwatch"
)

func main() {
	parentwatch.Start()
	etcdmain.Main(os.Args)
}
