package main

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func lines(n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s line %d\n", prefix, i)
	}
	return b.String()
}

// TestProduceConsumeSurvivesSIGKILL is the check: 100,000 lines
// produced come back identical and in order, and again after the broker is
// killed with SIGKILL and restarted; producing then continues at the next offset.
func TestProduceConsumeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	b := startBroker(t, t.TempDir(), "")
	b.mustCLI("", "topic", "create", "lines", "--partitions", "1")
	in := lines(100_000, "first")
	if out := b.mustCLI(in, "produce", "lines"); out != "100000 records acknowledged\n" {
		t.Fatalf("produce printed %q", out)
	}
	if out := b.mustCLI("", "consume", "lines", "--from", "earliest", "--max", "100000"); out != in {
		t.Fatalf("consumed %d bytes, want the %d produced", len(out), len(in))
	}

	b.kill()
	b.start()
	if out := b.mustCLI("", "consume", "lines", "--from", "earliest", "--max", "100000"); out != in {
		t.Fatalf("after SIGKILL consumed %d bytes, want the %d produced", len(out), len(in))
	}
	more := lines(10, "second")
	b.mustCLI(more, "produce", "lines")
	if out := b.mustCLI("", "consume", "lines", "--from", "100000"); out != more {
		t.Fatalf("records produced after restart: %q", out)
	}
}

// TestFollowReceivesNewRecords starts a follow consumer before producing and
// checks that it receives every record, in order, while the stream stays open.
func TestFollowReceivesNewRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	b := startBroker(t, t.TempDir(), "")
	b.mustCLI("", "topic", "create", "tail")
	cmd := exec.Command(sluiceBinary(t), "--broker", b.addr, "consume", "tail", "--follow", "--from", "earliest")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	got := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			got <- sc.Text()
		}
		close(got)
	}()
	// Each record is produced only after the previous one arrived, so all but
	// the first reach a stream that is already open and waiting.
	deadline := time.After(60 * time.Second)
	for i := range 20 {
		want := fmt.Sprintf("record %d", i)
		b.mustCLI(want+"\n", "produce", "tail")
		select {
		case line := <-got:
			if line != want {
				t.Fatalf("follow consumer printed %q, want %q", line, want)
			}
		case <-deadline:
			t.Fatalf("follow consumer did not print %q", want)
		}
	}
}

// TestSIGTERMExitsCleanly: a broker with an open follow stream exits 0 on
// SIGTERM, and what it acknowledged is there after it starts again.
func TestSIGTERMExitsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	b := startBroker(t, t.TempDir(), "")
	b.mustCLI("", "topic", "create", "graceful")
	b.mustCLI(lines(1000, "g"), "produce", "graceful")
	follower := exec.Command(sluiceBinary(t), "--broker", b.addr, "consume", "graceful", "--follow")
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = follower.Process.Kill(); _ = follower.Wait() })
	if err := b.terminate(); err != nil {
		t.Fatalf("broker exit after SIGTERM: %v\n%s", err, b.logs)
	}
	b.start()
	if out := b.mustCLI("", "consume", "graceful"); out != lines(1000, "g") {
		t.Fatalf("after restart read %d bytes", len(out))
	}
}
