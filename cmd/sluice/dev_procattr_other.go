//go:build !linux

package main

import "syscall"

// devProcAttr leaves the brokers' process attributes at their defaults where
// Linux's parent-death signal is not available.
func devProcAttr() *syscall.SysProcAttr {
	return nil
}
