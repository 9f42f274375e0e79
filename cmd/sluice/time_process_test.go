package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// consumedJSON runs consume --format json and returns "partition/value@time"
// for each record, sorted (partitions interleave in any order).
func consumedJSON(t *testing.T, b *brokerProc, args ...string) []string {
	t.Helper()
	out := b.mustCLI("", append([]string{"consume", "--format", "json"}, args...)...)
	var got []string
	for line := range strings.Lines(out) {
		var r jsonRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("consume printed %q: %v", line, err)
		}
		got = append(got, fmt.Sprintf("%d/%s@%s", r.Partition, *r.Value, r.Timestamp))
	}
	slices.Sort(got)
	return got
}

// TestConsumeFromTimestamp is the check: `sluice consume --from TIME`
// starts at the first record at or after that time, in every partition, by
// the records' create times (producer clocks may go back: a later record
// with an earlier time is still read, as it comes after the start), also
// after the broker is killed and restarted. Then a topic switched to
// LogAppendTime at runtime keeps the broker's time instead of the producer's.
func TestConsumeFromTimestamp(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	b := startBroker(t, t.TempDir(), "")
	b.mustCLI("", "topic", "create", "events", "--partitions", "2")
	for _, r := range []struct{ partition, at, value string }{
		{"0", "2026-11-23T09:00:00Z", "p0-early"},
		{"0", "2026-11-23T10:00:00Z", "p0-on-time"},
		{"0", "2026-11-23T09:30:00Z", "p0-clock-behind"},
		{"0", "2026-11-23T11:00:00Z", "p0-late"},
		{"1", "2026-11-23T09:59:59.999Z", "p1-just-before"},
		{"1", "2026-11-23T10:00:00.001Z", "p1-just-after"},
	} {
		b.mustCLI(r.value+"\n", "produce", "events", "--partition", r.partition, "--timestamp", r.at)
	}
	check := func() {
		t.Helper()
		if out := b.mustCLI("", "consume", "events", "--partition", "0", "--from", "2026-11-23T10:00:00Z"); out != "p0-on-time\np0-clock-behind\np0-late\n" {
			t.Fatalf("partition 0 from 10:00 printed %q", out)
		}
		want := []string{
			"0/p0-clock-behind@2026-11-23T09:30:00Z", "0/p0-late@2026-11-23T11:00:00Z", "0/p0-on-time@2026-11-23T10:00:00Z",
			"1/p1-just-after@2026-11-23T10:00:00.001Z",
		}
		if got := consumedJSON(t, b, "events", "--from", "2026-11-23T10:00:00Z"); !slices.Equal(got, want) {
			t.Fatalf("all partitions from 10:00 printed\n%q\nwant\n%q", got, want)
		}
		if out := b.mustCLI("", "consume", "events", "--from", "2026-11-23T10:30:00+00:00"); out != "p0-late\n" {
			t.Fatalf("from 10:30 printed %q", out)
		}
		if out := b.mustCLI("", "consume", "events", "--from", "2026-11-23T12:00:00Z"); out != "" {
			t.Fatalf("from a time after every record printed %q", out)
		}
	}
	check()
	b.kill()
	b.start()
	check()

	b.mustCLI("", "topic", "alter", "events", "--config", "message.timestamp.type=LogAppendTime")
	start := time.Now().Truncate(time.Millisecond)
	b.mustCLI("appended\n", "produce", "events", "--partition", "1", "--timestamp", "2020-01-01T00:00:00Z")
	got := consumedJSON(t, b, "events", "--partition", "1", "--from", start.UTC().Format(time.RFC3339Nano))
	if len(got) != 1 || !strings.HasPrefix(got[0], "1/appended@") || strings.Contains(got[0], "2020") {
		t.Fatalf("LogAppendTime record from %v: %q", start, got)
	}
}

// TestTopicAlterProcess: configs and the partition count change at runtime
// through the CLI; lowering the count is refused with a clear error.
func TestTopicAlterProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	b := startBroker(t, t.TempDir(), "")
	b.mustCLI("", "topic", "create", "orders", "--partitions", "3", "--config", "retention.ms=60000")
	out := b.mustCLI("", "topic", "alter", "orders", "--config", "max.message.bytes=2048", "--delete-config", "retention.ms", "--partitions", "6")
	if out != "topic orders configs: max.message.bytes=2048\ntopic orders has 6 partitions\n" {
		t.Fatalf("alter printed %q", out)
	}
	desc := b.mustCLI("", "topic", "describe", "orders")
	if !strings.Contains(desc, "Configs:            max.message.bytes=2048\n") || !strings.Contains(desc, "retention.ms=604800000") ||
		strings.Count(desc, "\n") != 5+2+6 {
		t.Fatalf("describe after alter:\n%s", desc)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--partitions", "4"}, "sluice: partitions: topic \"orders\" has 6 partitions and asked for 4: the partition count can only be raised\n"},
		{[]string{"--config", "min.insync.replicas=2"}, "sluice: set_configs[min.insync.replicas]: invalid value \"2\" for min.insync.replicas: must be an integer from 1 to 1 (the topic's replication factor)\n"},
		{[]string{"--config", "retention.hours=1"}, "sluice: set_configs: unknown topic config \"retention.hours\" (known: cleanup.policy, compression.type, max.message.bytes, message.timestamp.after.max.ms, message.timestamp.before.max.ms, message.timestamp.type, min.insync.replicas, retention.bytes, retention.ms)\n"},
	} {
		_, errOut, err := b.cli("", append([]string{"topic", "alter", "orders"}, tc.args...)...)
		if err == nil || errOut != tc.err {
			t.Errorf("alter %v: exit %v, stderr %q; want %q", tc.args, err, errOut, tc.err)
		}
	}
}
