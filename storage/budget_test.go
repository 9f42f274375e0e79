package storage

import (
	"math"
	"sync"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
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

// TestRaftLogTailsShareTheBudget writes to many groups under a small tail
// budget: the tails together stay within it (the last group written keeps
// its own), and every group still reads back all its entries, from disk
// where its tail was dropped.
func TestRaftLogTailsShareTheBudget(t *testing.T) {
	const budget = 8 << 10
	db := openDB(t, "", Options{TailCacheBudgetBytes: budget})
	const groups, perGroup = 20, 40
	want := map[uint64][]*raftpb.Entry{}
	for g := uint64(1); g <= groups; g++ {
		l, err := db.RaftLog(g)
		if err != nil {
			t.Fatal(err)
		}
		es := ents(1, perGroup, 1)
		want[g] = es
		commit(t, db, func(b *Batch) error { return l.Append(b, es) })
	}
	// The last group's tail (about 1.6 KiB) fits: the others share the rest.
	if used := db.tails.Used(); used > budget {
		t.Fatalf("tails hold %d bytes; the budget is %d", used, budget)
	}
	last, err := db.RaftLog(groups)
	if err != nil {
		t.Fatal(err)
	}
	if last.Size() == 0 {
		t.Fatal("the group written last lost its tail")
	}
	for g := uint64(1); g <= groups; g++ {
		l, err := db.RaftLog(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := l.Entries(1, perGroup+1, math.MaxUint64)
		if err != nil {
			t.Fatalf("group %d: %v", g, err)
		}
		if len(got) != perGroup {
			t.Fatalf("group %d: %d entries, want %d", g, len(got), perGroup)
		}
		for i := range got {
			if !proto.Equal(got[i], want[g][i]) {
				t.Fatalf("group %d entry %d: got %v, want %v", g, i+1, got[i], want[g][i])
			}
		}
	}
}
