package replica

import (
	"sort"
	"sync"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/storage"
)

// Batch is one committed batch of records.
type Batch struct {
	BaseOffset int64
	Count      int
	// Records are consecutive length-delimited record encodings (see package
	// wire), compressed as a whole with Compression; shared, never modified.
	// The cache holds them as stored, so its limit counts compressed bytes.
	Records     []byte
	Compression sluicev1.Compression
}

// cache keeps the most recently committed batches in memory, so consumers
// tailing a partition are served without reading storage. It holds at most
// limit bytes, and with a share in the broker's budget (Config.CacheBudget)
// gives up everything when the budget needs room and it is the partition
// least recently written or read.
type cache struct {
	mu      sync.RWMutex
	batches []Batch
	bytes   int
	limit   int
	// share is the cache's account in the broker's budget; nil: none. It
	// is called only with mu unlocked (the budget locks mu itself).
	share *storage.CacheShare
}

// Size is the bytes the cache holds (storage.Evicter).
func (c *cache) Size() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return int64(c.bytes)
}

// Evict empties the cache for the broker's budget (storage.Evicter): readers
// then read storage until new batches commit.
func (c *cache) Evict() int64 {
	c.drop()
	return 0
}

// update tells the budget that the cache changed.
func (c *cache) update() {
	if c.share != nil {
		c.share.Update()
	}
}

func (c *cache) add(bs []Batch) {
	c.store(bs)
	c.update()
}

// store appends the batches and drops the oldest past limit.
func (c *cache) store(bs []Batch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range bs {
		c.batches = append(c.batches, b)
		c.bytes += len(b.Records)
	}
	drop := 0
	for c.bytes > c.limit && drop < len(c.batches)-1 {
		c.bytes -= len(c.batches[drop].Records)
		drop++
	}
	if drop > 0 {
		// Copy rather than reslice so the dropped batches can be freed.
		c.batches = append([]Batch(nil), c.batches[drop:]...)
	}
}

func (c *cache) reset() {
	c.drop()
	c.update()
}

func (c *cache) drop() {
	c.mu.Lock()
	c.batches, c.bytes = nil, 0
	c.mu.Unlock()
}

// leave closes the cache's account in the budget: the replica closed.
func (c *cache) leave() {
	if c.share != nil {
		c.share.Leave()
	}
}

// get returns cached batches from the one holding offset from, up to end
// (exclusive) and about maxBytes; ok is false when from is older than the cache.
func (c *cache) get(from, end int64, maxBytes int) (out []Batch, ok bool) {
	if c.share != nil {
		c.share.Touch()
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.batches) == 0 || from < c.batches[0].BaseOffset {
		return nil, false
	}
	i := sort.Search(len(c.batches), func(i int) bool {
		b := c.batches[i]
		return b.BaseOffset+int64(b.Count) > from
	})
	size := 0
	for ; i < len(c.batches) && c.batches[i].BaseOffset < end && (size < maxBytes || len(out) == 0); i++ {
		out = append(out, c.batches[i])
		size += len(c.batches[i].Records)
	}
	return out, true
}
