package main

import (
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestGroupOffsetsStayInsideTheLog: reset-offsets past the log end sets the
// log end and says so; a committed offset outside the log (as retention
// leaves one) makes `consume --group` apply --reset rather than fail with
// OUT_OF_RANGE; and the offsets topic refuses to be altered.
func TestGroupOffsetsStayInsideTheLog(t *testing.T) {
	b := startBroker(t, t.TempDir(), "")
	b.mustCLI("", "topic", "create", "t", "--partitions", "1")
	b.mustCLI("a\nb\nc\n", "produce", "t", "--partition", "0")

	out := b.mustCLI("", "group", "reset-offsets", "g", "--topic", "t", "--to", "99999")
	if !strings.Contains(out, "now resumes t at 0:3") || !strings.Contains(out, "offset 99999 is outside the log of partition 0") {
		t.Fatalf("reset-offsets --to 99999 printed %q; want the log end 0:3 and a note that it was clamped", out)
	}

	// A commit past the log end, as a tool may make (Kafka takes any offset).
	conn, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = sluicev1.NewGroupCoordinatorServiceClient(conn).CommitOffsets(t.Context(), &sluicev1.CommitOffsetsRequest{
		GroupId: "g2", Offsets: []*sluicev1.CommittedOffset{{Topic: "t", Partition: 0, Offset: 99999}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := b.cli("", "consume", "t", "--group", "g2", "--reset", "earliest", "--idle", "1s")
	if err != nil || out != "a\nb\nc\n" {
		t.Fatalf("consume --group g2 --reset earliest: %v, printed %q\n%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "committed offset 99999 of t[0] is outside its log (offsets 0 to 3): reading from earliest") {
		t.Errorf("stderr does not say the reset applied:\n%s", errOut)
	}

	for _, args := range [][]string{
		{"topic", "alter", "__consumer_offsets", "--delete-config", "retention.ms"},
		{"topic", "alter", "__consumer_offsets", "--partitions", "100"},
		{"topic", "delete", "__consumer_offsets"},
	} {
		_, errOut, err := b.cli("", args...)
		if err == nil || !strings.Contains(errOut, "internal to the group coordinator") {
			t.Errorf("sluice %s: %v\n%s; want a refusal naming the internal topic", strings.Join(args, " "), err, errOut)
		}
	}
}
