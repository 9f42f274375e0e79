package server

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// Topic config keys.
const (
	cfgRetentionMs      = "retention.ms"
	cfgRetentionBytes   = "retention.bytes"
	cfgMaxMessageBytes  = "max.message.bytes"
	cfgTimestampType    = "message.timestamp.type"
	cfgMinInsync        = "min.insync.replicas"
	cfgCompressionType  = "compression.type"
	cfgCleanupPolicy    = "cleanup.policy"
	cfgTimestampBefore  = "message.timestamp.before.max.ms"
	cfgTimestampAfter   = "message.timestamp.after.max.ms"
	timestampCreateTime = "CreateTime"
	timestampAppendTime = "LogAppendTime"
)

// configCheck reports whether v is an allowed value and, either way, what
// is allowed, in words for the error message. rf is the topic's replication
// factor, 0 while it is not known (the request interceptor checks configs
// before the handler resolves the default).
type configCheck func(v string, rf int32) (ok bool, allowed string)

// topicConfigs are the configs a topic may set. Every value is checked here,
// for CreateTopic and AlterTopicConfigs alike.
var topicConfigs = map[string]configCheck{
	cfgRetentionMs:     intIn(-1, math.MaxInt64, "an integer number of milliseconds >= -1 (-1 = unlimited)"),
	cfgRetentionBytes:  intIn(-1, math.MaxInt64, "an integer number of bytes >= -1 (-1 = unlimited)"),
	cfgMaxMessageBytes: intIn(1, math.MaxInt32, fmt.Sprintf("an integer number of bytes from 1 to %d", math.MaxInt32)),
	cfgTimestampType:   oneOf(timestampCreateTime, timestampAppendTime),
	cfgMinInsync:       minInsyncCheck,
	cfgCompressionType: oneOf("producer", "zstd", "lz4", "snappy", "gzip", "uncompressed"),
	cfgCleanupPolicy:   oneOf("delete"),
	cfgTimestampBefore: intIn(0, math.MaxInt64, "an integer number of milliseconds >= 0"),
	cfgTimestampAfter:  intIn(0, math.MaxInt64, "an integer number of milliseconds >= 0"),
}

// topicConfigDefaults are the values in effect for configs a topic does not
// set: retention.* are the broker's --log-retention-ms and -bytes.
func (b *Broker) topicConfigDefaults() map[string]string {
	return map[string]string{
		cfgRetentionMs:     strconv.FormatInt(b.cfg.RetentionMs, 10),
		cfgRetentionBytes:  strconv.FormatInt(b.cfg.RetentionBytes, 10),
		cfgMaxMessageBytes: strconv.Itoa(b.cfg.Limits.MaxRecordBytes),
		cfgTimestampType:   timestampCreateTime,
		cfgMinInsync:       "1",
		cfgCompressionType: "producer",
		cfgCleanupPolicy:   "delete",
		cfgTimestampBefore: strconv.FormatInt(b.cfg.Limits.TimestampBeforeMaxMs, 10),
		cfgTimestampAfter:  strconv.FormatInt(b.cfg.Limits.TimestampAfterMaxMs, 10),
	}
}

// effectiveConfigs is every topic config with the value in effect.
func (b *Broker) effectiveConfigs(t *internalv1.TopicInfo) map[string]string {
	out := b.topicConfigDefaults()
	maps.Copy(out, t.GetConfigs())
	return out
}

// validateTopicConfig checks one config of a topic with replication factor
// rf (0: not known yet); field names the request field holding the configs.
func validateTopicConfig(field, k, v string, rf int32) error {
	check, ok := topicConfigs[k]
	if !ok {
		if len(k) > maxConfigValueLen {
			return badRequest(field, "unknown topic config (a key of %d bytes; known: %s)", len(k), strings.Join(slices.Sorted(maps.Keys(topicConfigs)), ", "))
		}
		return badRequest(field, "unknown topic config %q (known: %s)", k, strings.Join(slices.Sorted(maps.Keys(topicConfigs)), ", "))
	}
	if len(v) > maxConfigValueLen {
		return badRequest(field+"["+k+"]", "value is %d bytes; the limit is %d", len(v), maxConfigValueLen)
	}
	if ok, allowed := check(v, rf); !ok {
		return badRequest(field+"["+k+"]", "invalid value %q for %s: must be %s", v, k, allowed)
	}
	return nil
}

// validateTopicConfigs checks every config of a map, in key order so that
// the error is the same each time.
func validateTopicConfigs(field string, cfgs map[string]string, rf int32) error {
	for _, k := range slices.Sorted(maps.Keys(cfgs)) {
		if err := validateTopicConfig(field, k, cfgs[k], rf); err != nil {
			return err
		}
	}
	return nil
}

func intIn(lo, hi int64, allowed string) configCheck {
	return func(v string, _ int32) (bool, string) {
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n >= lo && n <= hi, allowed
	}
}

func oneOf(vals ...string) configCheck {
	allowed := "one of " + strings.Join(vals, ", ")
	return func(v string, _ int32) (bool, string) {
		return slices.Contains(vals, v), allowed
	}
}

// minInsyncCheck allows 1 to the replication factor: more replicas than the
// partition has could never be in sync.
func minInsyncCheck(v string, rf int32) (bool, string) {
	if rf == 0 {
		n, err := strconv.ParseInt(v, 10, 32)
		return err == nil && n >= 1, "an integer >= 1, at most the replication factor"
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return err == nil && n >= 1 && n <= int64(rf), fmt.Sprintf("an integer from 1 to %d (the topic's replication factor)", rf)
}

// topicInt returns an integer config of a topic, or def when the topic does
// not set it (values were validated when set).
func topicInt(t *internalv1.TopicInfo, key string, def int64) int64 {
	if v, ok := t.GetConfigs()[key]; ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// logAppendTime reports whether the topic's records carry the leader's
// append time rather than the producer's.
func logAppendTime(t *internalv1.TopicInfo) bool {
	return t.GetConfigs()[cfgTimestampType] == timestampAppendTime
}
