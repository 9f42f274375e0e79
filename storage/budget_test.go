package storage

import (
	"sync"
	"testing"
)

// fakeCache is an Evicter of a given size.
type fakeCache struct {
	mu      sync.Mutex
	size    int64
	evicted int
}

func (c *fakeCache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

func (c *fakeCache) Evict() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.size = 0
	c.evicted++
	return 0
}

func (c *fakeCache) grow(s *CacheShare, n int64) {
	c.mu.Lock()
	c.size += n
	c.mu.Unlock()
	s.Update()
}

func TestCacheBudgetEmptiesLeastRecentlyUsedCachesFirst(t *testing.T) {
	b := NewCacheBudget(100)
	caches := make([]*fakeCache, 4)
	shares := make([]*CacheShare, 4)
	for i := range caches {
		caches[i] = &fakeCache{}
		shares[i] = b.Join(caches[i])
		caches[i].grow(shares[i], 30) // 0..2 fit; 3 takes the total to 120
	}
	if caches[0].evicted != 1 || caches[0].size != 0 {
		t.Fatalf("the least recently used cache was not emptied: %+v", caches[0])
	}
	for i := 1; i < 4; i++ {
		if caches[i].evicted != 0 {
			t.Fatalf("cache %d was emptied while the budget needed only the oldest", i)
		}
	}
	if got := b.Used(); got != 90 {
		t.Fatalf("used %d, want 90", got)
	}
	// A read keeps cache 1 in memory: cache 2 goes next.
	shares[1].Touch()
	caches[3].grow(shares[3], 30)
	if caches[2].evicted != 1 || caches[1].evicted != 0 {
		t.Fatalf("eviction ignored the read: cache 1 %+v, cache 2 %+v", caches[1], caches[2])
	}
	// The cache that grows keeps its own tail, even past the budget.
	caches[3].grow(shares[3], 200)
	if caches[3].size != 260 || caches[3].evicted != 0 {
		t.Fatalf("the growing cache was emptied by its own update: %+v", caches[3])
	}
	if caches[1].size != 0 {
		t.Fatalf("cache 1 kept %d bytes over the budget", caches[1].size)
	}
	shares[3].Leave()
	if got := b.Used(); got != 0 {
		t.Fatalf("used %d after the last holder left, want 0", got)
	}
}
