package servertest

import (
	"errors"
	"testing"
	"time"
)

func TestLongestGapCountsFromTheFaultToItsEnd(t *testing.T) {
	var a AckClock
	t0 := time.Now()
	a.Done("before")(nil)
	a.Done("lost")(errors.New("refused"))
	from := time.Now()
	to := from.Add(10 * time.Second)
	if g := a.LongestGap(from, to); g != 10*time.Second {
		t.Fatalf("no ack within the window: gap %v, want 10s", g)
	}
	a.mu.Lock()
	a.times = append(a.times, from.Add(3*time.Second), from.Add(4*time.Second), to.Add(time.Second))
	a.mu.Unlock()
	if g := a.LongestGap(from, to); g != 6*time.Second {
		t.Fatalf("acks at +3 s and +4 s of a 10 s window: gap %v, want 6s", g)
	}
	if n, err := a.Failed(); n != 1 || err == nil {
		t.Fatalf("Failed() = %d, %v; want 1 and the error", n, err)
	}
	if !a.AckedAfter(t0) || len(a.Acked()) != 1 {
		t.Fatalf("acked %v", a.Acked())
	}
}
