// Command etcd is etcd's own server entry point, built from go.etcd.io/etcd/server/v3 so that
// kaji's tests and dev cluster need nothing but Go. It is the body of etcd's main.go.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
