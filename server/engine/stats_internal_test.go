package engine

import (
	"testing"
	"time"
)

// TestByteLogLagBytes: the bytes a voter lacks, exactly at marks and within
// the ring, interpolated between marks, remembered once the voter falls
// behind what the ring keeps, and corrected when raft replaces a suffix.
func TestByteLogLagBytes(t *testing.T) {
	var l byteLog
	l.reset(10) // entries up to 10 existed before: unknown bytes
	l.mark(11, 11, 100)
	l.mark(12, 15, 400) // 4 entries, 100 each
	if got := l.at(15); got != 500 {
		t.Fatalf("at(15) = %d, want 500", got)
	}
	if got := l.at(13); got != 300 {
		t.Fatalf("at(13) = %d, want 300 (interpolated)", got)
	}
	var vs voterState
	if got := l.lagBytes(&vs, 11); got != 400 {
		t.Fatalf("lag of a voter at 11 = %d, want 400", got)
	}
	// The voter stays at 11 while the ring moves past it.
	for i := uint64(16); i < 16+2*byteLogSize; i++ {
		l.mark(i, i, 10)
	}
	if l.oldest() <= 11 {
		t.Fatalf("ring still holds index 11 (oldest %d)", l.oldest())
	}
	want := uint64(400 + 2*byteLogSize*10)
	if got := l.lagBytes(&vs, 11); got != want {
		t.Fatalf("lag of a voter left behind at 11 = %d, want %d", got, want)
	}
	// A voter never seen that far back gets a lower bound.
	var fresh voterState
	if got := l.lagBytes(&fresh, 11); got >= want || got == 0 {
		t.Fatalf("lag of an unknown voter = %d, want a lower bound below %d", got, want)
	}
	// Raft replaces entries from 16 on: what was appended past 15 is gone.
	var m byteLog
	m.reset(0)
	m.mark(1, 5, 500)
	m.mark(6, 8, 300)
	m.mark(7, 7, 50) // entries 7 and 8 replaced by one new entry 7
	if got := m.at(7); got != 650 {
		t.Fatalf("after replacing a suffix at(7) = %d, want 650", got)
	}
	if got := m.at(5); got != 500 {
		t.Fatalf("after replacing a suffix at(5) = %d, want 500 (unchanged)", got)
	}
	if got := m.at(6); got != 600 {
		t.Fatalf("after replacing a suffix at(6) = %d, want 600", got)
	}
	var caught voterState
	if got := m.lagBytes(&caught, 7); got != 0 {
		t.Fatalf("lag of a caught-up voter = %d, want 0", got)
	}
}

// BenchmarkCycleInstrumentation is what the metrics add to one engine
// cycle: the clock reads and the four histogram observations.
func BenchmarkCycleInstrumentation(b *testing.B) {
	e := &Engine{stats: newCounters()}
	for b.Loop() {
		start := time.Now()
		sync := time.Now()
		e.stats.syncs.observe(uint64(time.Since(sync)))
		e.cycleEntries = 12
		e.observeCycle(start, 8)
	}
}

// BenchmarkByteLogLag is what the metrics add per append and per follower
// of a led group's step: a mark and a lag lookup.
func BenchmarkByteLogLag(b *testing.B) {
	var l byteLog
	l.reset(0)
	var vs voterState
	i := uint64(1)
	for b.Loop() {
		l.mark(i, i+3, 4096)
		_ = l.lagBytes(&vs, i-1)
		i += 4
	}
}
