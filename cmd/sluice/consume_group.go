package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// groupOptions are the consume flags of group mode (--group).
type groupOptions struct {
	group          string
	sessionTimeout time.Duration
	instanceID     string
	assignor       string
	reset          string
	idle           time.Duration
}

// consumeGroup joins a consumer group and prints the records of the
// partitions it is assigned, committing at least once: a record's offset is
// committed only after it was printed and flushed (every second, when a
// partition is revoked, and at the end). Without follow it stops once no
// record came for the idle time. Assignments go to stderr.
func consumeGroup(ctx context.Context, g *globalOptions, topic string, o *consumeOptions, printer *recordPrinter, stderr io.Writer) error {
	reset := sluice.Earliest
	switch o.groupOpts.reset {
	case "earliest":
	case "latest":
		reset = sluice.Latest
	default:
		return fmt.Errorf("invalid --reset %q: use earliest or latest", o.groupOpts.reset)
	}
	client, err := connectFor(ctx, g, topic)
	if err != nil {
		return err
	}
	defer client.Close()
	owned := false // "assigned nothing" is news only after something was
	gc, err := sluice.NewGroupConsumer(client, sluice.GroupConsumerConfig{
		Group: o.groupOpts.group, Topics: []string{topic}, InstanceID: o.groupOpts.instanceID,
		Assignor: o.groupOpts.assignor, SessionTimeout: o.groupOpts.sessionTimeout, Reset: reset,
		OnAssigned: func(gen int64, tps []sluice.TopicPartition) {
			if !owned && len(tps) == 0 {
				return
			}
			owned = len(tps) > 0
			fmt.Fprintf(stderr, "sluice: group %s generation %d: assigned %s\n", o.groupOpts.group, gen, formatTPs(tps))
		},
		OnRevoked: func(tps []sluice.TopicPartition) {
			fmt.Fprintf(stderr, "sluice: group %s: revoked %s\n", o.groupOpts.group, formatTPs(tps))
		},
		OnReset: func(r sluice.OffsetReset) {
			fmt.Fprintf(stderr, "sluice: group %s: committed offset %d of %s[%d] is outside its log (offsets %d to %d): reading from %s (--reset)\n",
				o.groupOpts.group, r.Offset, r.Topic, r.Partition, r.LogStart, r.HighWatermark, r.To)
		},
	})
	if err != nil {
		return err
	}
	err = readGroup(ctx, gc, o, printer, g.broker, func(err error) {
		fmt.Fprintf(stderr, "sluice: group %s: not in the group yet, still trying: %s\n", o.groupOpts.group, errorMessage(err, g.broker))
	})
	if cerr := gc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("commit offsets of group %q: %w", o.groupOpts.group, cerr)
	}
	return err
}

// followCheck is how often a --follow member that gets no records looks at
// whether it is in its group at all.
const followCheck = 5 * time.Second

// readGroup prints the group's records. A member that gets no record for
// --idle (or, with --follow, for followCheck) asks why: if it is not in the
// group (the coordinator refused it or cannot be reached) that is an error,
// or with --follow a warning, given to warn once per distinct reason.
func readGroup(ctx context.Context, gc *sluice.GroupConsumer, o *consumeOptions, printer *recordPrinter, broker string, warn func(error)) error {
	var printed int64
	lastWarning := ""
	for o.max == 0 || printed < o.max {
		wait := o.groupOpts.idle
		if o.follow {
			wait = followCheck
		}
		nctx, cancel := context.WithTimeout(ctx, wait)
		rec, err := gc.Next(nctx)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil // interrupted: what was printed is the result
		case errors.Is(err, context.DeadlineExceeded):
			serr := gc.SessionErr()
			if serr != nil && !o.follow {
				// Worded here: errorMessage would keep only the status.
				return fmt.Errorf("could not join group %s within --idle %s: %s", o.groupOpts.group, o.groupOpts.idle, errorMessage(serr, broker))
			}
			if serr != nil && serr.Error() != lastWarning {
				lastWarning = serr.Error()
				warn(serr)
			}
			if !o.follow {
				return nil // idle: caught up
			}
			continue
		default:
			return fmt.Errorf("consume in group %q: %w", o.groupOpts.group, err)
		}
		if err := printer.print(rec.Partition, protoRecord(rec)); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		// Flushed before the next Next, which may commit this record.
		if err := printer.flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		printed++
	}
	return nil
}

func protoRecord(r *sluice.Record) *sluicev1.Record {
	pr := &sluicev1.Record{Offset: r.Offset, Key: r.Key, Value: r.Value}
	if !r.Timestamp.IsZero() {
		pr.TimestampMs = r.Timestamp.UnixMilli()
	}
	for _, h := range r.Headers {
		pr.Headers = append(pr.Headers, &sluicev1.Header{Key: h.Key, Value: h.Value})
	}
	return pr
}

// formatTPs renders partitions as "topic[0 1 2]".
func formatTPs(tps []sluice.TopicPartition) string {
	if len(tps) == 0 {
		return "nothing"
	}
	var b strings.Builder
	last := ""
	for _, tp := range tps {
		if tp.Topic != last {
			if last != "" {
				b.WriteString("] ")
			}
			fmt.Fprintf(&b, "%s[%d", tp.Topic, tp.Partition)
			last = tp.Topic
			continue
		}
		fmt.Fprintf(&b, " %d", tp.Partition)
	}
	b.WriteString("]")
	return b.String()
}
