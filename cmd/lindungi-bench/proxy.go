package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
)

// countingProxy sits between the engine and PostgreSQL and counts round
// trips: every frontend message that makes the server answer and wait
// (Sync 'S' after an extended-protocol batch, or a simple Query 'Q').
type countingProxy struct {
	ln       net.Listener
	upstream string
	trips    atomic.Int64
	wg       sync.WaitGroup
}

// startProxy listens on a free local port and returns dsn rewritten to go
// through it.
func startProxy(dsn string) (*countingProxy, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, "", err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("round-trip proxy: %w", err)
	}
	p := &countingProxy{ln: ln, upstream: host}
	u.Host = ln.Addr().String()
	p.wg.Add(1)
	go p.accept()
	return p, u.String(), nil
}

func (p *countingProxy) Close() {
	p.ln.Close()
	p.wg.Wait()
}

func (p *countingProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *countingProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		io.Copy(client, server) //nolint:errcheck
		client.Close()
	}()
	r := bufio.NewReader(client)
	// The startup message has no type byte.
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return
	}
	n := int64(binary.BigEndian.Uint32(hdr[:4]))
	if _, err := server.Write(hdr[:4]); err != nil {
		return
	}
	if _, err := io.CopyN(server, r, n-4); err != nil {
		return
	}
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		if hdr[0] == 'S' || hdr[0] == 'Q' {
			p.trips.Add(1)
		}
		n := int64(binary.BigEndian.Uint32(hdr[1:]))
		if _, err := server.Write(hdr[:]); err != nil {
			return
		}
		if _, err := io.CopyN(server, r, n-4); err != nil {
			return
		}
	}
}
