// Command natse2e measures NATS JetStream end-to-end latency the way
// `sluice bench e2e` measures Sluice's: records of a fixed size are published
// at a fixed rate into a replicated file-backed stream, each carrying its send
// time, and an ordered consumer that follows the stream records how long each
// took to arrive. nats bench has no end-to-end mode, hence this program; it is
// used only by scripts/bench-peers.sh.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type result struct {
	Records   int64   `json:"records"`
	RatePerS  float64 `json:"records_per_s"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	P999Ms    float64 `json:"p99_9_ms"`
	MaxMs     float64 `json:"max_ms"`
	Errors    int64   `json:"publish_errors"`
	Unarrived int64   `json:"not_received"`
}

func main() {
	url := flag.String("server", nats.DefaultURL, "NATS server URLs")
	rate := flag.Int("rate", 1000, "records per second")
	size := flag.Int("size", 100, "record size in bytes (at least 8)")
	dur := flag.Duration("duration", 10*time.Second, "how long to publish")
	replicas := flag.Int("replicas", 3, "stream replicas")
	stream := flag.String("stream", "e2e", "stream (and subject) name, created anew")
	flag.Parse()
	res, err := run(*url, *stream, *rate, max(*size, 8), *replicas, *dur)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natse2e:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func run(url, name string, rate, size, replicas int, dur time.Duration) (*result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dur+time.Minute)
	defer cancel()
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	var ackErrs atomic.Int64
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { ackErrs.Add(1) }))
	if err != nil {
		return nil, err
	}
	if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, err
	}
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name}, Replicas: replicas, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	hist := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	var mu sync.Mutex
	var received int64
	cc, err := cons.Consume(func(m jetstream.Msg) {
		d := time.Since(time.Unix(0, int64(binary.BigEndian.Uint64(m.Data()))))
		mu.Lock()
		_ = hist.RecordValue(max(d.Microseconds(), 1))
		received++
		mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	defer cc.Stop()

	sent, errs := publish(ctx, js, name, rate, size, dur)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		done := received >= sent
		mu.Unlock()
		if done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return &result{
		Records: received, RatePerS: float64(sent) / dur.Seconds(),
		P50Ms: ms(hist.ValueAtQuantile(50)), P99Ms: ms(hist.ValueAtQuantile(99)),
		P999Ms: ms(hist.ValueAtQuantile(99.9)), MaxMs: ms(hist.Max()),
		Errors: errs + ackErrs.Load(), Unarrived: sent - received,
	}, nil
}

// publish sends rate records a second for dur, asynchronously (as nats bench
// js pub async does), each stamped with its send time.
func publish(ctx context.Context, js jetstream.JetStream, subject string, rate, size int, dur time.Duration) (sent, errs int64) {
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for next := start; time.Since(start) < dur; next = next.Add(interval) {
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		buf := make([]byte, size)
		binary.BigEndian.PutUint64(buf, uint64(time.Now().UnixNano()))
		if _, err := js.PublishAsync(subject, buf); err != nil {
			errs++
			continue
		}
		sent++
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
	}
	return sent, errs
}
