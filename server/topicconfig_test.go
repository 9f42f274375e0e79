package server_test

import (
	"maps"
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

func alterConfigs(t *testing.T, b *servertest.Broker, req *sluicev1.AlterTopicConfigsRequest) *sluicev1.TopicDescription {
	t.Helper()
	resp, err := b.AdminClient.AlterTopicConfigs(t.Context(), req)
	if err != nil {
		t.Fatalf("alter %v: %v", req, err)
	}
	return resp.GetTopic()
}

func describeTopic(t *testing.T, b *servertest.Broker, name string) *sluicev1.TopicDescription {
	t.Helper()
	resp, err := b.AdminClient.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: name})
	if err != nil {
		t.Fatalf("describe %q: %v", name, err)
	}
	return resp.GetTopic()
}

// TestAlterTopicConfigs: configs change at runtime, take effect on the next
// request, show with the defaults in effect, and survive a restart.
func TestAlterTopicConfigs(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "t", 1, "retention.ms", "60000")
	d := describeTopic(t, b, "t")
	wantEffective := map[string]string{
		"retention.ms": "60000", "retention.bytes": "-1", "max.message.bytes": "1048576", "message.timestamp.type": "CreateTime",
		"min.insync.replicas": "1", "compression.type": "producer", "cleanup.policy": "delete",
		"message.timestamp.before.max.ms": "9223372036854775807", "message.timestamp.after.max.ms": "3600000",
	}
	if !maps.Equal(d.GetEffectiveConfigs(), wantEffective) {
		t.Fatalf("effective configs %v, want %v", d.GetEffectiveConfigs(), wantEffective)
	}

	d = alterConfigs(t, b, &sluicev1.AlterTopicConfigsRequest{Name: "t",
		SetConfigs:    map[string]string{"max.message.bytes": "100", "message.timestamp.type": "LogAppendTime"},
		DeleteConfigs: []string{"retention.ms"}})
	want := map[string]string{"max.message.bytes": "100", "message.timestamp.type": "LogAppendTime"}
	if !maps.Equal(d.GetConfigs(), want) || d.GetEffectiveConfigs()["retention.ms"] != "604800000" {
		t.Fatalf("after alter: configs %v (effective %v), want %v", d.GetConfigs(), d.GetEffectiveConfigs(), want)
	}
	resp := b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{{Value: make([]byte, 200)}}})
	if resp.GetError() == nil {
		t.Fatalf("a 200-byte record passed max.message.bytes=100: %v", resp)
	}
	b.Produce(t, "t", 0, timedRecords(1234)...)
	if recs := b.FetchAll(t, "t", 0, 0); len(recs) != 1 || recs[0].GetTimestampMs() == 1234 {
		t.Fatalf("LogAppendTime set at runtime kept the producer's time: %v", recs)
	}

	b.Restart()
	if d := describeTopic(t, b, "t"); !maps.Equal(d.GetConfigs(), want) {
		t.Fatalf("configs after restart %v, want %v", d.GetConfigs(), want)
	}
	alterConfigs(t, b, &sluicev1.AlterTopicConfigsRequest{Name: "t", DeleteConfigs: []string{"message.timestamp.type"}})
	b.Produce(t, "t", 0, timedRecords(1234)...)
	if recs := b.FetchAll(t, "t", 0, 1); len(recs) != 1 || recs[0].GetTimestampMs() != 1234 {
		t.Fatalf("back to CreateTime, the producer's time is not kept: %v", recs)
	}
}
