package chaos

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// Ack is one acknowledged record.
type Ack struct {
	Producer  int
	Seq       int
	Partition int32
	Offset    int64
	At        time.Time
}

// Producers are idempotent producers with acks=all (the SDK's defaults)
// writing self-describing values "p<producer>-<seq>" at a steady pace.
type Producers struct {
	topic string
	pace  time.Duration

	mu     sync.Mutex
	acks   []Ack
	failed int
	last   error
	sent   int
}

// NewProducers returns a workload writing to topic; each producer sends one
// record every pace.
func NewProducers(topic string, pace time.Duration) *Producers {
	return &Producers{topic: topic, pace: pace}
}

// Value is the record value of a producer's seq'th record.
func Value(producer, seq int) string { return fmt.Sprintf("p%d-%d", producer, seq) }

// ParseValue reads a Value back.
func ParseValue(v string) (producer, seq int, ok bool) {
	p, s, found := strings.Cut(strings.TrimPrefix(v, "p"), "-")
	pi, err1 := strconv.Atoi(p)
	si, err2 := strconv.Atoi(s)
	return pi, si, found && err1 == nil && err2 == nil && strings.HasPrefix(v, "p")
}

// Run starts n producers on client until ctx ends (each at most maxRecords
// records), then flushes them, each for at most a minute.
func (w *Producers) Run(ctx context.Context, client *sluice.Client, n, maxRecords int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for id := range n {
		prod, err := sluice.NewProducer(client, sluice.ProducerConfig{})
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.produce(ctx, prod, id, maxRecords)
			fctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := prod.Flush(fctx); err != nil {
				errs <- fmt.Errorf("producer %d: flush: %w", id, err)
			}
			_ = prod.Close()
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (w *Producers) produce(ctx context.Context, prod *sluice.Producer, id, maxRecords int) {
	tick := time.NewTicker(w.pace)
	defer tick.Stop()
	for seq := 0; seq < maxRecords && ctx.Err() == nil; seq++ {
		w.mu.Lock()
		w.sent++
		w.mu.Unlock()
		prod.Produce(context.Background(), &sluice.Record{Topic: w.topic, Value: []byte(Value(id, seq))}, func(md sluice.RecordMetadata, err error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			if err != nil {
				w.failed++
				w.last = err
				return
			}
			w.acks = append(w.acks, Ack{Producer: id, Seq: seq, Partition: md.Partition, Offset: md.Offset, At: time.Now()})
		})
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}

// Sent is how many records were handed to the producers.
func (w *Producers) Sent() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent
}

// Acks returns every acknowledgement so far, in the order they arrived.
func (w *Producers) Acks() []Ack {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acks)
}

// Counts returns how many records were sent and how many failed, with the
// last failure.
func (w *Producers) Counts() (sent, failed int, last error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent, w.failed, w.last
}

// LongestGap is, over partitions, the longest time within [from, to]
// without an acknowledgement of a record of that partition, and the
// partition where it was.
func LongestGap(acks []Ack, partitions int32, from, to time.Time) (worst time.Duration, where int32) {
	for p := range partitions {
		prev, gap := from, time.Duration(0)
		for _, a := range acks {
			if a.Partition != p || a.At.Before(from) {
				continue
			}
			if !a.At.Before(to) {
				break
			}
			gap = max(gap, a.At.Sub(prev))
			prev = a.At
		}
		if gap = max(gap, to.Sub(prev)); gap > worst {
			worst, where = gap, p
		}
	}
	return worst, where
}

// Recovery is how long after t every partition had a record acknowledged
// again; ok is false if one never did.
func Recovery(acks []Ack, partitions int32, t time.Time) (d time.Duration, ok bool) {
	for p := range partitions {
		i := slices.IndexFunc(acks, func(a Ack) bool { return a.Partition == p && !a.At.Before(t) })
		if i < 0 {
			return 0, false
		}
		d = max(d, acks[i].At.Sub(t))
	}
	return d, true
}
