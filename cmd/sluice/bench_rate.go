package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// rateLimiter spaces sends so that records leave at a fixed rate from the
// start, shared by every producer: the record numbered n (from 0) may be sent
// n/rate seconds after the start. A producer that falls behind sends at once
// until it has caught up with the schedule, so a stall is not hidden by
// sending less (no coordinated omission).
type rateLimiter struct {
	rate  float64 // records per second; 0 means no limit
	start time.Time

	mu        sync.Mutex
	scheduled int64 // records given a send time so far
}

func newRateLimiter(rate float64, start time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, start: start}
}

// sendOffset is when, after the start, the record numbered n may be sent at
// rate records per second.
func sendOffset(n int64, rate float64) time.Duration {
	return time.Duration(float64(n) / rate * float64(time.Second))
}

// reserve schedules the next n records and returns when they may be sent.
func (l *rateLimiter) reserve(n int) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := l.start.Add(sendOffset(l.scheduled, l.rate))
	l.scheduled += int64(n)
	return at
}

// wait blocks until the next n records may be sent, or ctx is done.
func (l *rateLimiter) wait(ctx context.Context, n int) error {
	if l.rate <= 0 {
		return ctx.Err()
	}
	d := time.Until(l.reserve(n))
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recordBudget hands out a fixed number of records to producers a batch at a
// time, so faster producers send more and the total is exact.
type recordBudget struct {
	left atomic.Int64 // negative means no limit
}

func newRecordBudget(total int64) *recordBudget {
	b := &recordBudget{}
	if total <= 0 {
		total = -1
	}
	b.left.Store(total)
	return b
}

// claim takes up to n records and returns how many it got; 0 when the
// budget is spent.
func (b *recordBudget) claim(n int) int {
	for {
		left := b.left.Load()
		if left < 0 {
			return n
		}
		got := min(int64(n), left)
		if got == 0 {
			return 0
		}
		if b.left.CompareAndSwap(left, left-got) {
			return int(got)
		}
	}
}
