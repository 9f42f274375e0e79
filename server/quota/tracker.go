package quota

import (
	"hash/maphash"
	"sync"
	"time"
)

// Burst is how much a key may send at once after it was idle: one second
// of its limit. Kafka's sample windows allow a burst of about their span
// too; a smaller one would throttle a client whose single request is larger
// than its rate allows in a fraction of a second.
const Burst = time.Second

// MaxThrottle bounds the delay of one call. A call larger than this much of
// its limit (a 64 MiB request at 1 MiB/s) is held MaxThrottle and its
// excess forgotten, rather than holding its client for minutes.
const MaxThrottle = 30 * time.Second

// MaxKeys bounds the usage a Tracker keeps. Keys that are back at a full
// bucket hold nothing worth keeping and are dropped first; past the bound
// with every key busy, new keys share one bucket per limit (so they are
// held back more, never less).
const MaxKeys = 1 << 16

const shards = 16

// Tracker keeps the usage of every key: a token bucket each, refilled at
// the key's limit up to Burst of it. Taking n from a bucket that holds less
// leaves it in debt, and the debt over the limit is the delay. Safe for
// concurrent use; its locks are held only to update a bucket, never while a
// caller waits out a delay.
type Tracker struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [shards]shard
}

type shard struct {
	mu       sync.Mutex
	buckets  map[Key]*bucket
	overflow map[float64]*bucket // by limit, when buckets is full
	last     *bucket             // when overflow is full too
	swept    time.Time           // the last dropIdleLocked
}

// sweepEvery is how often a full shard looks for idle buckets at most, so
// that a flood of new keys costs a scan per interval, not per key.
const sweepEvery = 100 * time.Millisecond

type bucket struct {
	tokens float64
	last   time.Time
	limit  float64 // as of the last use
}

// NewTracker returns an empty tracker reading the time from now (time.Now
// when nil).
func NewTracker(now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	t := &Tracker{now: now, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].buckets = map[Key]*bucket{}
	}
	return t
}

// Take counts n units (bytes or requests) against key, whose limit is
// limit units per second, and returns how long the caller must be held
// back: 0 while the key is within its limit, otherwise the time until its
// usage is back within it, at most MaxThrottle.
func (t *Tracker) Take(key Key, limit, n float64) time.Duration {
	if limit <= 0 {
		return 0
	}
	now := t.now()
	s := &t.shards[t.shardOf(key)]
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bucket(key, limit, now)
	burst := limit * Burst.Seconds()
	b.tokens = min(burst, b.tokens+limit*now.Sub(b.last).Seconds())
	b.last, b.limit = now, limit
	b.tokens = max(b.tokens-n, -limit*MaxThrottle.Seconds())
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / limit * float64(time.Second))
}

func (t *Tracker) shardOf(k Key) int {
	var h maphash.Hash
	h.SetSeed(t.seed)
	h.WriteByte(byte(k.Type))
	h.WriteByte(byte(k.Entity.User.Kind))
	h.WriteString(k.Entity.User.Name)
	h.WriteByte(byte(k.Entity.ClientID.Kind))
	h.WriteString(k.Entity.ClientID.Name)
	return int(h.Sum64() % shards)
}

// bucket returns key's bucket, made full when new; requires s.mu.
func (s *shard) bucket(key Key, limit float64, now time.Time) *bucket {
	if b := s.buckets[key]; b != nil {
		return b
	}
	full := &bucket{tokens: limit * Burst.Seconds(), last: now, limit: limit}
	if len(s.buckets) >= MaxKeys/shards && now.Sub(s.swept) >= sweepEvery {
		s.dropIdleLocked(now)
		s.swept = now
	}
	if len(s.buckets) < MaxKeys/shards {
		s.buckets[key] = full
		return full
	}
	if s.overflow == nil {
		s.overflow = map[float64]*bucket{}
	}
	if b := s.overflow[limit]; b != nil {
		return b
	}
	if len(s.overflow) < MaxKeys/shards {
		s.overflow[limit] = full
		return full
	}
	if s.last == nil {
		s.last = full
	}
	return s.last
}

// dropIdleLocked drops the buckets that are full again since their last
// use: a new bucket is full too, so nothing is lost.
func (s *shard) dropIdleLocked(now time.Time) {
	for k, b := range s.buckets {
		refill := (b.limit*Burst.Seconds() - b.tokens) / b.limit
		if now.Sub(b.last).Seconds() >= refill {
			delete(s.buckets, k)
		}
	}
}

// Len is how many keys the tracker holds (for tests).
func (t *Tracker) Len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.buckets)
		s.mu.Unlock()
	}
	return n
}
