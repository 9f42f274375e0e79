package storage

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Options configure a DB. Open replaces every zero numeric field with its
// DefaultOptions value, so Options{InMemory: true} is a usable test setup.
//
// A broker's storage memory is roughly
// MemTableSize*NumMemtables + BlockCacheSize + IndexCacheSize
// + min(TailCacheBudgetBytes, (number of hosted groups) * TailCacheBytes).
type Options struct {
	// Dir holds badger's LSM tree and value log. Ignored when InMemory.
	Dir string
	// InMemory keeps everything in memory (badger's InMemory mode); for
	// tests. Nothing survives Close and Commit does not sync.
	InMemory bool

	// MemTableSize is the size of one memtable in bytes. It also bounds a
	// single badger transaction (15% of it), past which a Batch is written
	// as several transactions.
	MemTableSize int64
	// NumMemtables is how many memtables (one active, the rest waiting to be
	// flushed) may exist before writes stall.
	NumMemtables int
	// BlockCacheSize is the byte budget of badger's cache of decompressed
	// SST blocks; it is what keeps recently written log data in memory after
	// its memtable is flushed.
	BlockCacheSize int64
	// IndexCacheSize is the byte budget for SST indexes and bloom filters.
	// Badger's own default (0) keeps all of them in memory, which grows with
	// the data; a bound keeps a broker's memory independent of its disk.
	IndexCacheSize int64
	// ValueThreshold is the value size in bytes from which a value is
	// stored in the value log rather than in the LSM tree.
	ValueThreshold int64
	// ValueLogFileSize is the size of one value log file in bytes, the unit
	// that value log GC reclaims.
	ValueLogFileSize int64
	// NumCompactors is the number of concurrent LSM compactions (badger
	// requires 0 or at least 2).
	NumCompactors int
	// Logger receives badger's warnings and errors; nil means slog.Default().
	// Badger's info and debug messages are dropped.
	Logger *slog.Logger

	// TailCacheEntries bounds the number of recent entries each RaftLog
	// keeps in memory.
	TailCacheEntries int
	// TailCacheBytes bounds the total Data size of those entries.
	TailCacheBytes int
	// TailCacheBudgetBytes bounds the Data size of the tails of all groups
	// together: past it, the tails of the groups least recently written
	// are dropped (their entries are read from disk), so the memory does
	// not grow with the number of groups. -1 means no budget.
	TailCacheBudgetBytes int64
}

// DefaultOptions returns the options used for a broker whose data lives in dir.
// The values bound a broker's memory to a few hundred MiB whatever the number
// of partitions or the size of the data; the figures behind them belong in
// docs/ once measured on the target hardware.
func DefaultOptions(dir string) Options {
	return Options{
		Dir: dir,
		// Badger's default is 64 MiB x 5. Log writes are sequential and
		// flushed in order, so fewer, smaller memtables cost little
		// throughput and cap write-buffer memory at 96 MiB.
		MemTableSize: 32 << 20,
		NumMemtables: 3,
		// Tailing consumers read what was just written: mostly from the
		// memtables, then from this cache. Badger's default is 256 MiB.
		BlockCacheSize: 64 << 20,
		IndexCacheSize: 32 << 20,
		// Raft entries are produce batches, typically a few KiB to 1 MiB.
		// Small entries (and all index, state and metadata values) stay in
		// the LSM tree and are written once, to the WAL. Larger entries go to
		// the value log, so LSM compaction moves 20-byte pointers rather than
		// record data; retention then frees them through value log GC, which
		// is cheap because the log is append-only and expires in order.
		// Badger's default (1 MiB) would push most record data through
		// every compaction level.
		ValueThreshold: 64 << 10,
		// The unit value log GC reclaims after retention: all partitions
		// share the files, and the newest one is never collected, so the
		// disk holds roughly the retained data plus one to two files. With
		// 16 MiB a partition that retains 10 MiB of 200 MiB written keeps
		// 14-20 MiB on disk (docs/architecture.md, "Retention"); with
		// badger's 1 GiB (or 256 MiB) it kept the whole 200 MiB. Badger maps
		// every value log file, so a broker with several TiB of data needs a
		// larger file (or a higher vm.max_map_count).
		ValueLogFileSize: 16 << 20,
		// Badger's minimum; the default 4 buys little for a write-once log.
		NumCompactors: 2,
		// Per group: enough for raft's Term/Entries calls on the write path
		// and for followers that are a little behind.
		TailCacheEntries: 512,
		TailCacheBytes:   4 << 20,
		// For the whole broker: 16 groups at their full tail; with more,
		// the busiest keep theirs.
		TailCacheBudgetBytes: 64 << 20,
	}
}

// withDefaults returns o with every zero numeric field taken from
// DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions(o.Dir)
	setDefault(&o.MemTableSize, d.MemTableSize)
	setDefault(&o.NumMemtables, d.NumMemtables)
	setDefault(&o.BlockCacheSize, d.BlockCacheSize)
	setDefault(&o.IndexCacheSize, d.IndexCacheSize)
	setDefault(&o.ValueThreshold, d.ValueThreshold)
	setDefault(&o.ValueLogFileSize, d.ValueLogFileSize)
	setDefault(&o.NumCompactors, d.NumCompactors)
	setDefault(&o.TailCacheEntries, d.TailCacheEntries)
	setDefault(&o.TailCacheBytes, d.TailCacheBytes)
	setDefault(&o.TailCacheBudgetBytes, d.TailCacheBudgetBytes)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

func setDefault[T int | int64](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// badgerOptions translates o, which must have its defaults set.
func (o Options) badgerOptions() badger.Options {
	dir := o.Dir
	threshold := o.ValueThreshold
	if o.InMemory {
		dir = "" // badger refuses a directory in InMemory mode
		// In memory badger refuses any value above the threshold (it has
		// no value log to put it in), so the threshold is the largest
		// entry: take the most badger allows.
		threshold = o.inMemoryValueLimit()
	}
	return badger.DefaultOptions(dir).
		WithInMemory(o.InMemory).
		// Every write transaction syncs its WAL and value log before it
		// returns, so Batch.Commit is durable when it returns. DB.Sync is not
		// enough: it syncs only the current memtable WAL and value log file,
		// so a write that landed in a file rotated away before the Sync
		// (memtable full, value log file full) would stay unsynced until
		// badger's flush. A Batch that fits one badger transaction still
		// costs one sync of each file, the same as WriteBatch plus DB.Sync.
		WithSyncWrites(true).
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(o.NumMemtables).
		WithBlockCacheSize(o.BlockCacheSize).
		WithIndexCacheSize(o.IndexCacheSize).
		WithValueThreshold(threshold).
		WithValueLogFileSize(o.ValueLogFileSize).
		WithNumCompactors(o.NumCompactors).
		// Writes are blind and reads run in their own read-only
		// transactions: nothing can conflict, so skip conflict tracking.
		WithDetectConflicts(false).
		WithLogger(slogLogger{l: o.Logger})
}

// badgerMaxValueThreshold is the largest ValueThreshold badger accepts
// (its maxValueThreshold, unexported).
const badgerMaxValueThreshold = 1 << 20

// inMemoryValueLimit is the largest value an InMemory DB stores: badger
// keeps every value in the LSM tree and refuses one above its value
// threshold, which it caps at 1 MiB and at one transaction (15% of a
// memtable).
func (o Options) inMemoryValueLimit() int64 {
	return min(badgerMaxValueThreshold, 15*o.MemTableSize/100)
}

// entryOverhead is what a raft entry's encoding (term, index, type, the
// data's tag and length: about 30 bytes) adds to its Data, with room to
// spare.
const entryOverhead = 1 << 10

// maxValueBytes is the largest value badger takes in one write: on disk
// one value log file (ValueLogFileSize; badger refuses a larger value with
// "Value with size ... exceeded ... limit"), in memory the value threshold.
func (o Options) maxValueBytes() int64 {
	if o.InMemory {
		return o.inMemoryValueLimit()
	}
	return o.ValueLogFileSize
}

// MaxEntryBytes is the largest Data of a raft entry that this storage
// stores: a larger entry fails the write, and with it the raft engine.
// Whatever proposes entries must keep them at most this size.
func (db *DB) MaxEntryBytes() int {
	return int(db.opts.maxValueBytes() - entryOverhead)
}

func (o Options) validate() error {
	if !o.InMemory && o.Dir == "" {
		return fmt.Errorf("storage: Options.Dir is empty and InMemory is false")
	}
	if o.TailCacheEntries < 0 || o.TailCacheBytes < 0 {
		return fmt.Errorf("storage: negative tail cache bound (%d entries, %d bytes)",
			o.TailCacheEntries, o.TailCacheBytes)
	}
	return nil
}

// slogLogger routes badger's warnings and errors to slog and drops its
// info and debug chatter (one line per memtable flush and compaction).
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Errorf(format string, args ...any) {
	s.log(slog.LevelError, format, args)
}

func (s slogLogger) Warningf(format string, args ...any) {
	s.log(slog.LevelWarn, format, args)
}

func (slogLogger) Infof(string, ...any)  {}
func (slogLogger) Debugf(string, ...any) {}

func (s slogLogger) log(level slog.Level, format string, args []any) {
	// Badger has no context to pass; Background is the honest value here.
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	s.l.Log(ctx, level, msg, "component", "badger")
}
