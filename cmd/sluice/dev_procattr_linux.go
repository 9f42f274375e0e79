package main

import "syscall"

// devProcAttr puts a broker in its own process group, so that a Ctrl-C in the
// terminal reaches only sluice dev, which stops the brokers in order; and asks
// the kernel to send the broker SIGTERM should sluice dev die without doing so.
func devProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
