package main

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Brokers started as processes must know their ports before they bind them,
// so a test reserves ports, releases them and hands them to the brokers.
// Ports the kernel hands out itself (to a listener on port 0 or as the local
// end of an outgoing connection) come from its ephemeral range, and every
// other test here takes ports that way: a port reserved from that range can
// be taken in the gap, which made process tests fail with "address already
// in use". Ports below the range are never handed out by the kernel.

// portFloor is the lowest port these tests reserve.
const portFloor = 20000

// ephemeralLow reads the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return low
}

// freeBasePort finds n consecutive free loopback ports and returns the first.
func freeBasePort(t *testing.T, n int) int {
	t.Helper()
	low, high := portFloor, ephemeralLow()
	if high-low < 1000 {
		// No room below the ephemeral range: take ports above it.
		low, high = 61000, 65535
	}
	for range 200 {
		base := low + rand.IntN(high-low-n)
		if portsFree(base, n) {
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports found in [%d, %d)", n, low, high)
	return 0
}

// portsFree reports whether ports base..base+n-1 can be listened on now.
func portsFree(base, n int) bool {
	var held []net.Listener
	defer func() {
		for _, h := range held {
			h.Close()
		}
	}()
	for i := range n {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i)))
		if err != nil {
			return false
		}
		held = append(held, l)
	}
	return true
}

// freeAddrs reserves n loopback addresses for brokers that must know each
// other's addresses before they start.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	base := freeBasePort(t, n)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i))
	}
	return addrs
}
