package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// The benchmarks report throughput in MB/s of record bytes (keys and values),
// with MB = 10^6 bytes, and latencies in milliseconds from histograms kept in
// microseconds.
const (
	bytesPerMB = 1e6
	// maxLatencyMicros is the largest latency a histogram tracks (one
	// minute); larger values are recorded as this.
	maxLatencyMicros = int64(time.Minute / time.Microsecond)
	// drainTimeout bounds how long a benchmark waits, once it stops sending,
	// for the answers to what it already sent.
	drainTimeout = 10 * time.Second
	// progressInterval is the period of the live progress line.
	progressInterval = time.Second
)

func newBenchCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure produce, fetch and end-to-end performance against a broker",
		Long: "Measure the broker's throughput and latency, in the spirit of Kafka's\n" +
			"kafka-producer-perf-test. A progress line goes to stderr every second and the\n" +
			"summary to stdout (one JSON object with --json). Ctrl-C stops early and still\n" +
			"prints the summary of what was done.",
		Args: cobra.ArbitraryArgs,
		RunE: subcommandsOnly,
	}
	cmd.AddCommand(
		newBenchProduceCmd(g),
		newBenchConsumeCmd(g),
		newBenchE2ECmd(g),
	)
	return cmd
}

// ensureTopic creates topic with partitions partitions unless it exists, and
// returns its partition count.
func ensureTopic(ctx context.Context, admin sluicev1.AdminServiceClient, topic string, partitions int32) (int32, error) {
	resp, err := admin.CreateTopic(ctx, &sluicev1.CreateTopicRequest{Name: topic, Partitions: partitions})
	if err == nil {
		if n := int32(len(resp.GetTopic().GetPartitions())); n > 0 {
			return n, nil
		}
		return partitions, nil
	}
	if status.Code(err) != codes.AlreadyExists {
		return 0, fmt.Errorf("create topic %q: %w", topic, err)
	}
	return topicPartitions(ctx, admin, topic)
}

// topicPartitions returns the partition count of an existing topic.
func topicPartitions(ctx context.Context, admin sluicev1.AdminServiceClient, topic string) (int32, error) {
	d, err := admin.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: topic})
	if err != nil {
		return 0, fmt.Errorf("describe topic %q: %w", topic, err)
	}
	return int32(len(d.GetTopic().GetPartitions())), nil
}

// latencyRecorder is a histogram of latencies in microseconds that several
// goroutines record into and a progress reporter reads while they do.
type latencyRecorder struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newLatencyRecorder() *latencyRecorder {
	return &latencyRecorder{h: hdrhistogram.New(1, maxLatencyMicros, 3)}
}

// record adds one latency; negative values count as zero and values past the
// histogram's range as its maximum.
func (r *latencyRecorder) record(d time.Duration) {
	us := min(max(d.Microseconds(), 0), maxLatencyMicros)
	r.mu.Lock()
	_ = r.h.RecordValue(us) // in range by construction
	r.mu.Unlock()
}

// stats returns the percentiles of everything recorded so far.
func (r *latencyRecorder) stats() latencyStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return statsOf(r.h)
}

// latencyStats are latency percentiles in milliseconds.
type latencyStats struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
}

func statsOf(h *hdrhistogram.Histogram) latencyStats {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return latencyStats{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P95:   ms(h.ValueAtQuantile(95)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}

// String renders the percentiles on one line.
func (s latencyStats) String() string {
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  p99.9 %s  max %s ms",
		fmtMillis(s.P50), fmtMillis(s.P95), fmtMillis(s.P99), fmtMillis(s.P999), fmtMillis(s.Max))
}

// fmtMillis prints a latency with a precision that suits its size.
func fmtMillis(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.2f", ms)
}

// throughput is a count of records and bytes over a time.
type throughput struct {
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	Seconds       float64 `json:"seconds"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
}

func newThroughput(records, bytes int64, elapsed time.Duration) throughput {
	t := throughput{Records: records, Bytes: bytes, Seconds: elapsed.Seconds()}
	if t.Seconds > 0 {
		t.RecordsPerSec = float64(records) / t.Seconds
		t.MBPerSec = float64(bytes) / bytesPerMB / t.Seconds
	}
	return t
}

// String renders the throughput on one line.
func (t throughput) String() string {
	return fmt.Sprintf("%s records in %.2f s: %s records/s, %.2f MB/s",
		groupDigits(t.Records), t.Seconds, groupDigits(int64(t.RecordsPerSec+0.5)), t.MBPerSec)
}

// groupDigits writes n with thousands separators: 1234567 -> "1,234,567".
func groupDigits(n int64) string {
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// counters are the running totals a progress reporter reads.
type counters struct {
	records, bytes atomic.Int64
}

func (c *counters) add(records, bytes int64) {
	c.records.Add(records)
	c.bytes.Add(bytes)
}

// progressLine formats one progress line from the totals at two instants.
// lat is nil when the benchmark measures no latency.
func progressLine(elapsed, interval time.Duration, dRecords, dBytes int64, lat *latencyStats) string {
	secs := interval.Seconds()
	line := fmt.Sprintf("%6.1fs %12s records/s %9.2f MB/s", elapsed.Seconds(),
		groupDigits(int64(float64(dRecords)/secs+0.5)), float64(dBytes)/bytesPerMB/secs)
	if lat != nil {
		line += fmt.Sprintf("  p50 %s ms  p99 %s ms", fmtMillis(lat.P50), fmtMillis(lat.P99))
	}
	return line
}

// reportProgress prints a progress line to w every interval until stop is
// closed; the line shows throughput over the last interval and, when lat is
// not nil, latency percentiles so far. It returns when stop is closed.
func reportProgress(w io.Writer, stop <-chan struct{}, c *counters, lat *latencyRecorder) {
	start := time.Now()
	last, lastRecords, lastBytes := start, int64(0), int64(0)
	tick := time.NewTicker(progressInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			records, bytes := c.records.Load(), c.bytes.Load()
			var stats *latencyStats
			if lat != nil {
				s := lat.stats()
				stats = &s
			}
			fmt.Fprintln(w, progressLine(now.Sub(start), now.Sub(last), records-lastRecords, bytes-lastBytes, stats))
			last, lastRecords, lastBytes = now, records, bytes
		}
	}
}

// startProgress runs reportProgress in a goroutine and returns a function
// that stops it and waits for it to return.
func startProgress(w io.Writer, quiet bool, c *counters, lat *latencyRecorder) (stop func()) {
	if quiet {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { reportProgress(w, done, c, lat) })
	return func() {
		close(done)
		wg.Wait()
	}
}
