package storage

import (
	"container/list"
	"sync"
)

// CacheBudget shares one byte budget among many caches, one per partition,
// so that a broker's cache memory is set by the budget rather than by the
// number of partitions it hosts. A cache tells its share when it has
// changed; when the total passes the limit, the least recently used caches
// are emptied (through Evict) until it fits again. The cache that changed is
// never emptied by its own update, so hot tails stay in memory while cold
// partitions give theirs up.
//
// The budget reads each cache's size itself (Size, Evict), under its own
// mutex and then the cache's, so its total never drifts from what the
// caches hold. A cache therefore must not call its share while it holds its
// own lock.
type CacheBudget struct {
	mu    sync.Mutex
	limit int64
	used  int64
	lru   list.List // of *CacheShare, most recently used first
}

// Evicter is a cache under a CacheBudget. Neither method may call the budget.
type Evicter interface {
	// Size is the bytes the cache holds.
	Size() int64
	// Evict drops what it can of the cache and returns the bytes it still
	// holds.
	Evict() int64
}

// CacheShare is one cache's account with a CacheBudget.
type CacheShare struct {
	b     *CacheBudget
	c     Evicter
	elem  *list.Element
	bytes int64 // c's size when last read
}

// NewCacheBudget returns a budget of limit bytes; limit <= 0 means no limit.
func NewCacheBudget(limit int64) *CacheBudget {
	return &CacheBudget{limit: limit}
}

// Join opens an account for c, as the most recently used.
func (b *CacheBudget) Join(c Evicter) *CacheShare {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &CacheShare{b: b, c: c}
	s.elem = b.lru.PushFront(s)
	return s
}

// Used is the bytes the caches held when they last changed.
func (b *CacheBudget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Limit is the budget's byte limit (<= 0: none).
func (b *CacheBudget) Limit() int64 { return b.limit }

// Update records the cache's new size and marks it most recently used; over
// the limit, it empties other caches, least recently used first.
func (s *CacheShare) Update() {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.elem == nil {
		return // left
	}
	s.set(s.c.Size())
	b.lru.MoveToFront(s.elem)
	if b.limit <= 0 {
		return
	}
	for e := b.lru.Back(); e != nil && e != s.elem && b.used > b.limit; e = e.Prev() {
		if v := e.Value.(*CacheShare); v.bytes > 0 {
			v.set(v.c.Evict())
		}
	}
}

// set records the cache's size; b.mu is held.
func (s *CacheShare) set(size int64) {
	s.b.used += size - s.bytes
	s.bytes = size
}

// Touch marks the cache most recently used: a read keeps it in memory.
func (s *CacheShare) Touch() {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.elem != nil {
		b.lru.MoveToFront(s.elem)
	}
}

// Leave closes the account: what the cache holds no longer counts.
func (s *CacheShare) Leave() {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.elem == nil {
		return
	}
	b.used -= s.bytes
	s.bytes = 0
	b.lru.Remove(s.elem)
	s.elem = nil
}
