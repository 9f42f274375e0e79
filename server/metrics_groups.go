package server

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// lagScrapeTimeout bounds the look-up of the log end offsets that a scrape
// of the consumer lag makes (from other brokers for partitions not led
// here); a topic whose ends do not come in time is left out of that scrape.
const lagScrapeTimeout = 5 * time.Second

// groupCollector exports the groups this broker coordinates, read from the
// coordinator at scrape time: nothing is counted on the groups' paths but
// two atomic adds (rebalances, commits).
type groupCollector struct {
	b                          *Broker
	members, lag, partitionLag *prometheus.Desc
	rebalances, commits        *prometheus.Desc
}

func newGroupCollector(b *Broker) *groupCollector {
	return &groupCollector{
		b: b,
		members: prometheus.NewDesc("sluice_group_members",
			"Members of a consumer group this broker coordinates, connected or not.", []string{"group"}, nil),
		lag: prometheus.NewDesc("sluice_consumer_group_lag_records",
			"Records of the topic a group has yet to consume: the sum over the partitions it committed of the log end offset (high watermark) less the committed offset.",
			[]string{"group", "topic"}, nil),
		partitionLag: prometheus.NewDesc("sluice_consumer_group_partition_lag_records",
			"One partition's lag of a group (with --metrics-lag-per-partition): high watermark less committed offset.",
			[]string{"group", "topic", "partition"}, nil),
		rebalances: prometheus.NewDesc("sluice_group_rebalances_total",
			"Rebalances of the groups this broker coordinated: each new generation written.", nil, nil),
		commits: prometheus.NewDesc("sluice_group_commits_total",
			"Offset commits (CommitOffsets and ResetOffsets) written by this broker's coordinator.", nil, nil),
	}
}

func (c *groupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.members
	ch <- c.lag
	if c.b.cfg.GroupLagPerPartition {
		ch <- c.partitionLag
	}
	ch <- c.rebalances
	ch <- c.commits
}

func (c *groupCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.b
	ch <- prometheus.MustNewConstMetric(c.rebalances, prometheus.CounterValue, float64(b.groups.Rebalances()))
	ch <- prometheus.MustNewConstMetric(c.commits, prometheus.CounterValue, float64(b.groups.Commits()))
	stats := b.groups.Stats()
	if len(stats) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(b.lifetime, lagScrapeTimeout)
	defer cancel()
	ends := map[string]map[int32]int64{} // by topic; nil: unknown this scrape
	endsOf := func(topic string) map[int32]int64 {
		if e, ok := ends[topic]; ok {
			return e
		}
		e, err := b.listOffsets(ctx, &sluicev1.ListOffsetsRequest{
			Topic: topic, Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST},
		})
		if err != nil {
			b.log.Debug("consumer lag: log end offsets", "topic", topic, "err", err)
			e = nil
		}
		ends[topic] = e
		return e
	}
	for _, g := range stats {
		ch <- prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(g.Members), g.ID)
		lag := map[string]int64{}
		for tp, committed := range g.Offsets {
			e := endsOf(tp.Topic)
			end, ok := e[tp.Partition]
			if !ok {
				continue // topic deleted, or its ends unknown this scrape
			}
			l := max(end-committed, 0)
			lag[tp.Topic] += l
			if b.cfg.GroupLagPerPartition {
				ch <- prometheus.MustNewConstMetric(c.partitionLag, prometheus.GaugeValue, float64(l),
					g.ID, tp.Topic, strconv.Itoa(int(tp.Partition)))
			}
		}
		for topic, l := range lag {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(l), g.ID, topic)
		}
	}
}
