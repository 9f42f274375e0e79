package servertest

import (
	"slices"
	"sync"
	"time"
)

// AckClock records when a producer's records were acknowledged, for tests
// that measure how long a fault leaves producers without an answer.
type AckClock struct {
	mu     sync.Mutex
	times  []time.Time
	values []string
	errs   int
	last   error
}

// Done returns the completion callback of the record with the given value.
func (a *AckClock) Done(value string) func(error) {
	return func(err error) {
		a.mu.Lock()
		defer a.mu.Unlock()
		if err != nil {
			a.errs++
			a.last = err
			return
		}
		a.times = append(a.times, time.Now())
		a.values = append(a.values, value)
	}
}

// Acked returns the acknowledged values, in the order of their acks.
func (a *AckClock) Acked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.values)
}

// Failed returns how many records failed, and the last error.
func (a *AckClock) Failed() (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.errs, a.last
}

// AckedAfter says whether a record was acknowledged after t.
func (a *AckClock) AckedAfter(t time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.times) > 0 && a.times[len(a.times)-1].After(t)
}

// LongestGap is the longest time within [from, to] without an
// acknowledgement, counting from from and up to to.
func (a *AckClock) LongestGap(from, to time.Time) time.Duration {
	a.mu.Lock()
	times := slices.Clone(a.times)
	a.mu.Unlock()
	slices.SortFunc(times, func(x, y time.Time) int { return x.Compare(y) })
	prev, gap := from, time.Duration(0)
	for _, t := range times {
		if t.Before(from) {
			continue
		}
		if !t.Before(to) {
			break
		}
		gap = max(gap, t.Sub(prev))
		prev = t
	}
	return max(gap, to.Sub(prev))
}
