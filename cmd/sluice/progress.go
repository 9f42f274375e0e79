package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress shows how a long operation is going on one line of stderr that
// is rewritten in place, and only when stderr is a terminal: a pipeline or a
// log file gets no progress lines, and stdout never does.
type progress struct {
	w        io.Writer
	interval time.Duration
	// delay is how long an operation runs before the line appears: a short
	// one shows none.
	delay time.Duration
}

// newProgress returns a progress on w if w is a terminal, else nil (a nil
// *progress shows nothing).
func newProgress(w io.Writer) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{w: w, interval: 500 * time.Millisecond, delay: time.Second}
}

// isTerminal reports whether w is a character device other than /dev/null.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}

// start shows line() every interval until the returned stop is called, which
// erases the line. stop may be called more than once.
func (p *progress) start(line func() string) (stop func()) {
	if p == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		shown := false
		defer func() {
			if shown {
				fmt.Fprint(p.w, "\r\033[K") // erase the line
			}
		}()
		select {
		case <-done:
			return
		case <-time.After(p.delay):
		}
		tick := time.NewTicker(p.interval)
		defer tick.Stop()
		for {
			fmt.Fprintf(p.w, "\r\033[K%s", line())
			shown = true
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}

// formatBytes is a byte count for people: 512 B, 1.5 KiB, 20.0 MiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
