package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// Settings, from the environment (the Makefile's chaos targets set them):
//
//	SLUICE_CHAOS_SEED     the schedule's seed (default: from the clock, printed)
//	SLUICE_CHAOS_SECONDS  how long faults are injected (default 60)
//	SLUICE_CHAOS_BROKERS  3 or 5 (default 3)
//	SLUICE_CHAOS_KINDS    comma-separated fault kinds (default: all)
//	SLUICE_CHAOS_FAULT_MS how long each fault lasts, min-max in ms (default 2000-8000)
//	SLUICE_CHAOS_GAP_MS   the quiet time between faults, min-max in ms (default 3000-6000)
//	SLUICE_CHAOS_MAX_GAP_MS fail a fault that leaves a partition longer without an ack (default: report only)
//	SLUICE_CHAOS_REPORT   a file to write the run's summary to, as JSON
//	SLUICE_CHAOS_MARKDOWN a file to write the run's summary to, as a Markdown report
//	SLUICE_REQUIRE_CHAOS  fail, rather than skip, where namespaces cannot be made
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q is not a number", name, s)
	}
	return n
}

// envRange reads "min-max" in milliseconds.
func envRange(t *testing.T, name string, defMin, defMax time.Duration) (time.Duration, time.Duration) {
	s := os.Getenv(name)
	if s == "" {
		return defMin, defMax
	}
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if !ok || err1 != nil || err2 != nil || a > b {
		t.Fatalf("%s=%q: want min-max in milliseconds, e.g. 500-3000", name, s)
	}
	return time.Duration(a) * time.Millisecond, time.Duration(b) * time.Millisecond
}

func buildSluice(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sluice")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/sluice").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func requireNamespaces(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("SLUICE_REQUIRE_CHAOS") != "" {
			t.Fatalf("the fault-injection suite cannot run: %v", err)
		}
		t.Skipf("the fault-injection suite cannot run: %v", err)
	}
}

// faultResult is one fault in the run's summary.
type faultResult struct {
	Kind      Kind    `json:"kind"`
	Target    uint64  `json:"target"`
	LengthS   float64 `json:"length_s"`
	AckGapS   float64 `json:"longest_ack_gap_s"`
	RecoveryS float64 `json:"recovery_s"`
	Recovered bool    `json:"recovered"`
	ApplyErr  string  `json:"apply_error,omitempty"`
}

type runSummary struct {
	Seed        uint64        `json:"seed"`
	Brokers     int           `json:"brokers"`
	Faults      []faultResult `json:"faults"`
	Acked       int           `json:"acked"`
	Stored      int           `json:"stored"`
	Failed      int           `json:"failed_records"`
	Consumed    int           `json:"consumed"`
	Redelivered int           `json:"redelivered"`
	Anomalies   []string      `json:"anomalies"`
	SettleS     float64       `json:"settle_s"`
}

// TestNemesis runs producers through a seeded schedule of faults on a
// cluster of broker processes in network namespaces, then checks that no
// acknowledged record was lost, duplicated, reordered or moved, that the
// replicas agree, and how long each fault left partitions without an
// acknowledgement. A failure prints the seed; SLUICE_CHAOS_SEED=<seed>
// replays the same faults at the same times.
func TestNemesis(t *testing.T) {
	requireNamespaces(t)
	seed := uint64(envInt(t, "SLUICE_CHAOS_SEED", int(time.Now().UnixNano()%1_000_000)))
	seconds := envInt(t, "SLUICE_CHAOS_SECONDS", 60)
	brokers := envInt(t, "SLUICE_CHAOS_BROKERS", 3)
	kinds := AllKinds
	if s := os.Getenv("SLUICE_CHAOS_KINDS"); s != "" {
		kinds = nil
		for _, k := range strings.Split(s, ",") {
			if !slices.Contains(AllKinds, Kind(k)) {
				t.Fatalf("SLUICE_CHAOS_KINDS: unknown kind %q (kinds: %v)", k, AllKinds)
			}
			kinds = append(kinds, Kind(k))
		}
	}
	t.Logf("seed %d, %d s of faults on %d brokers (replay: SLUICE_CHAOS_SEED=%d)", seed, seconds, brokers, seed)
	const topic, partitions = "chaos", int32(6)

	c, err := StartCluster(buildSluice(t), t.TempDir(), brokers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d failed; broker logs:\n%s", seed, c.Logs())
		}
	})
	ctx := t.Context()
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.WaitServing(wctx); err != nil {
		t.Fatal(err)
	}
	client, err := c.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}

	minLen, maxLen := envRange(t, "SLUICE_CHAOS_FAULT_MS", 2*time.Second, 8*time.Second)
	minQuiet, maxQuiet := envRange(t, "SLUICE_CHAOS_GAP_MS", 3*time.Second, 6*time.Second)
	schedule := Schedule(ScheduleConfig{Seed: seed, Kinds: kinds, Brokers: brokers, Partitions: partitions,
		Total: time.Duration(seconds) * time.Second, MinLength: minLen, MaxLength: maxLen, MinGap: minQuiet, MaxGap: maxQuiet})
	t.Logf("%d faults scheduled", len(schedule))
	maxAckGap := time.Duration(envInt(t, "SLUICE_CHAOS_MAX_GAP_MS", 0)) * time.Millisecond
	work := NewProducers(topic, 20*time.Millisecond)
	pctx, stopProducers := context.WithCancel(ctx)
	produced := make(chan error, 1)
	go func() { produced <- work.Run(pctx, client, 4, 100_000) }()

	group := NewGroup(c, "chaos-readers", topic, t.Logf)
	grouped := make(chan error, 1)
	go func() {
		grouped <- group.Run(pctx, seed, time.Minute, func() bool {
			_, failed, _ := work.Counts()
			acks := work.Acks()
			return len(acks)+failed == work.Sent() && len(group.Unconsumed(acks)) == 0
		})
	}()

	nem := NewNemesis(c, admin, topic, t.Logf)
	began := time.Now()
	for _, f := range schedule {
		if !sleepUntil(ctx, began.Add(f.At)) {
			break
		}
		nem.Apply(ctx, f)
		sleepUntil(ctx, f.Began.Add(f.Length))
		if err := nem.Heal(f); err != nil {
			t.Errorf("heal %s: %v", f, err)
		}
	}
	sleepUntil(ctx, time.Now().Add(8*time.Second)) // producers go on after the last heal
	stoppedAt := time.Now()
	stopProducers()
	if err := <-produced; err != nil {
		t.Errorf("producers: %v", err)
	}
	if err := <-grouped; err != nil {
		t.Errorf("consumer group: %v", err)
	}
	for _, b := range c.Brokers {
		if !b.Running() {
			t.Errorf("broker %d is not running after every fault healed", b.ID)
		}
	}

	desc, err := admin.DescribeTopic(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	replicas := func(p int32) []uint64 { return desc.Partitions[p].ReplicaIDs }
	acks := work.Acks()
	report, err := Check(ctx, c, topic, partitions, replicas, acks, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sent, failed, last := work.Counts()
	report.Unconsumed = group.Unconsumed(acks)
	report.CommitsBackward = group.Backward()
	distinct, total := group.Consumed()
	t.Logf("the group consumed %d distinct records (%d with redeliveries)", distinct, total)
	sum := runSummary{Seed: seed, Brokers: brokers, Acked: report.Acked, Stored: report.Stored, Failed: failed,
		Anomalies: report.Anomalies(), SettleS: report.Settle.Seconds(), Consumed: distinct, Redelivered: total - distinct}
	for i, f := range schedule {
		if f.Began.IsZero() {
			continue
		}
		// A fault's outage may outlast it (a healed broker taking its
		// leaderships back): the window runs on to the next fault.
		until := stoppedAt
		if i+1 < len(schedule) && !schedule[i+1].Began.IsZero() {
			until = schedule[i+1].Began
		}
		gap, where := LongestGap(acks, partitions, f.Began, until)
		rec, ok := Recovery(acks, partitions, f.Healed)
		r := faultResult{Kind: f.Kind, Target: f.Target, LengthS: f.Healed.Sub(f.Began).Seconds(), AckGapS: gap.Seconds(), RecoveryS: rec.Seconds(), Recovered: ok}
		if f.ApplyErr != nil {
			r.ApplyErr = f.ApplyErr.Error()
		}
		sum.Faults = append(sum.Faults, r)
		t.Logf("%-40s longest ack gap %6.2fs (partition %d) from its start to the next fault's; every partition acknowledged %6.2fs after the heal", f, gap.Seconds(), where, rec.Seconds())
		if f.ApplyErr != nil {
			t.Errorf("fault %s could not be applied: %v", f, f.ApplyErr)
		}
		if !ok {
			t.Errorf("after %s, some partition never took a write again", f)
		}
		if maxAckGap > 0 && gap > maxAckGap {
			t.Errorf("%s left partition %d without an acknowledgement for %v, over SLUICE_CHAOS_MAX_GAP_MS (%v)", f, where, gap.Round(time.Millisecond), maxAckGap)
		}
	}
	t.Logf("%d records sent, %d acknowledged, %d stored, %d failed (last: %v); replicas settled in %v",
		sent, report.Acked, report.Stored, failed, last, report.Settle.Round(time.Millisecond))
	if path := os.Getenv("SLUICE_CHAOS_REPORT"); path != "" {
		data, _ := json.MarshalIndent(sum, "", "  ")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Error(err)
		}
	}
	if path := os.Getenv("SLUICE_CHAOS_MARKDOWN"); path != "" {
		if err := os.WriteFile(path, []byte(markdownReport(sum, report)), 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, a := range report.Anomalies() {
		t.Errorf("anomaly (seed %d): %s", seed, a)
	}
	if report.Acked == 0 {
		t.Errorf("no record was acknowledged")
	}
}

func TestScheduleIsTheSameForTheSameSeed(t *testing.T) {
	cfg := ScheduleConfig{Seed: 42, Kinds: AllKinds, Brokers: 3, Partitions: 6, Total: 5 * time.Minute,
		MinLength: 2 * time.Second, MaxLength: 8 * time.Second, MinGap: 3 * time.Second, MaxGap: 6 * time.Second}
	a, b := Schedule(cfg), Schedule(cfg)
	if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("two schedules of seed 42 differ:\n%v\n%v", a, b)
	}
	cfg.Seed = 43
	if fmt.Sprint(Schedule(cfg)) == fmt.Sprint(a) {
		t.Fatal("seeds 42 and 43 gave the same schedule")
	}
	kinds := map[Kind]int{}
	for _, f := range a[:len(AllKinds)] {
		kinds[f.Kind]++
	}
	if len(kinds) != len(AllKinds) {
		t.Fatalf("the first %d faults cover %d kinds, want every kind once: %v", len(AllKinds), len(kinds), a[:len(AllKinds)])
	}
}
