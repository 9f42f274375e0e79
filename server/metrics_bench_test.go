//go:build unix

package server

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkProduceMetricsPerRequest is what the metrics add to one produce
// request of one partition, alone: the clock read at receipt, the topic's
// counters looked up, the counts added at the acknowledgement and the
// duration observed (docs/metrics.md compares it with a request's CPU).
// cpu-ns/op is the process's CPU time per request, which other work on a
// busy machine disturbs less than wall time.
func BenchmarkProduceMetricsPerRequest(b *testing.B) {
	m := newMetrics()
	pt := &part{count: 1, records: make([]byte, 120)}
	m.topic("bench")
	n := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		received := time.Now()
		tc := m.topic("bench")
		tc.produced(pt)
		m.produceDuration.Observe(time.Since(received).Seconds())
		n++
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
