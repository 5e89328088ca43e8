package main

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"kaji.dev/kaji/internal/testenv"
)

// startProxy listens on 127.0.0.1 and forwards TCP to the API server, holding each chunk for
// half the round-trip latency in each direction. TLS passes through; the kubeconfig it
// writes points at the proxy (the envtest serving certificate covers 127.0.0.1).
func startProxy(env *testenv.Env, dir string, rtt time.Duration) (string, func(), error) {
	kc, err := clientcmd.LoadFromFile(env.KubeconfigPath)
	if err != nil {
		return "", nil, err
	}
	cluster := kc.Clusters[kc.Contexts[env.ContextName].Cluster]
	u, err := url.Parse(cluster.Server)
	if err != nil {
		return "", nil, err
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	cluster.Server = "https://" + ln.Addr().String()
	path := filepath.Join(dir, fmt.Sprintf("kubeconfig-%dms", rtt.Milliseconds()))
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		ln.Close()
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				s, err := net.Dial("tcp", target)
				if err != nil {
					progress("proxy: %v", err)
					c.Close()
					return
				}
				go delayCopy(s, c, rtt/2)
				delayCopy(c, s, rtt/2)
			}()
		}
	}()
	return path, func() { ln.Close() }, nil
}

// delayCopy copies src to dst, each chunk delivered delay after it was read; chunks keep
// their order and reading goes on meanwhile, so the delay is latency, not a bandwidth cap.
func delayCopy(dst, src net.Conn, delay time.Duration) {
	type chunk struct {
		at   time.Time
		data []byte
	}
	ch := make(chan chunk, 1024)
	go func() {
		defer close(ch)
		buf := make([]byte, 64*1024)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	for range ch {
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	} else {
		_ = dst.Close()
	}
	_ = src.Close()
}
