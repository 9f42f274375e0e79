package server

import (
	"testing"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/replica"
)

// TestOffsetsTopicRetentionIsUnlimited: whatever configs the offsets topic
// carries (or lacks), retention never removes a commit; other topics fall
// back to the broker's defaults.
func TestOffsetsTopicRetentionIsUnlimited(t *testing.T) {
	b := &Broker{cfg: Config{RetentionMs: 1000, RetentionBytes: 1 << 20}}
	for _, configs := range []map[string]string{nil, {cfgRetentionMs: "1000", cfgRetentionBytes: "10"}} {
		if got := b.retentionOf(&internalv1.TopicInfo{Name: offsetsTopic, Configs: configs}); got != replica.Unlimited {
			t.Fatalf("offsets topic with configs %v: retention %+v; want unlimited", configs, got)
		}
	}
	if got := b.retentionOf(&internalv1.TopicInfo{Name: "orders"}); got.Ms != 1000 || got.Bytes != 1<<20 {
		t.Fatalf("an ordinary topic without configs: retention %+v; want the broker's defaults", got)
	}
}
