package replica

import (
	"math"
	"testing"
	"time"
)

func TestSegmentBounds(t *testing.T) {
	for _, tc := range []struct {
		lim   Retention
		bytes int64
		age   time.Duration
	}{
		{Unlimited, maxSegmentBytes, maxSegmentAge},
		{Retention{Bytes: 10 << 20, Ms: -1}, 10 << 20 / segmentsPerLimit, maxSegmentAge},
		{Retention{Bytes: 1, Ms: 100}, minSegmentBytes, minSegmentAge},
		{Retention{Bytes: 1 << 40, Ms: 7 * 24 * 3600 * 1000}, maxSegmentBytes, maxSegmentAge},
		{Retention{Bytes: -1, Ms: 80_000}, maxSegmentBytes, 10 * time.Second},
	} {
		bytes, age := segmentBounds(tc.lim)
		if bytes != tc.bytes || age != tc.age {
			t.Errorf("segmentBounds(%+v) = %d, %v; want %d, %v", tc.lim, bytes, age, tc.bytes, tc.age)
		}
	}
}

// TestSegmentAgeOfHugeRetentionMs: a retention.ms whose Duration overflows
// (Kafka users set Long.MAX_VALUE for "forever") ends segments at the
// longest age, not every second.
func TestSegmentAgeOfHugeRetentionMs(t *testing.T) {
	for _, ms := range []int64{math.MaxInt64, 10_000_000_000_000, 9_300_000_000_000} {
		if _, age := segmentBounds(Retention{Bytes: -1, Ms: ms}); age != maxSegmentAge {
			t.Errorf("retention.ms %d: segments end at age %v, want %v", ms, age, maxSegmentAge)
		}
	}
}
