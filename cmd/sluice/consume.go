package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// consumeOptions holds the consume flags as given.
type consumeOptions struct {
	partitions []int
	from       string
	max        int64
	follow     bool
	format     string
	groupOpts  groupOptions
}

func newConsumeCmd(g *globalOptions) *cobra.Command {
	var o consumeOptions
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print records of a topic",
		Long: "Print records of a topic, one per line. Without --follow it stops at the end\n" +
			"of the data committed when it gets there.\n\n" +
			"With --group G it joins consumer group G: the group's coordinator assigns it\n" +
			"partitions, which it reads from the group's committed offsets (--reset where\n" +
			"there are none), committing each record after printing it (at least once).\n" +
			"Without --follow it stops when no record came for --idle.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.groupOpts.group != "" {
				if err := o.checkGroupFlags(cmd); err != nil {
					return err
				}
				printer, err := newRecordPrinter(cmd.OutOrStdout(), o.format)
				if err != nil {
					return err
				}
				return consumeGroup(cmd.Context(), g, args[0], &o, printer, cmd.ErrOrStderr())
			}
			req, err := o.request(args[0])
			if err != nil {
				return err
			}
			printer, err := newRecordPrinter(cmd.OutOrStdout(), o.format)
			if err != nil {
				return err
			}
			conn, err := g.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			client := sluicev1.NewFetchServiceClient(conn)
			return consume(cmd.Context(), client, req, printer)
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&o.partitions, "partition", nil, "partition `P` to read (repeatable or P,Q,...; default all)")
	f.StringVar(&o.from, "from", "earliest", "where to start (`POS`: earliest, latest, an offset or an RFC 3339 time)")
	f.Int64Var(&o.max, "max", 0, "stop after `N` records (0 = no limit)")
	f.BoolVar(&o.follow, "follow", false, "keep waiting for new records")
	f.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	f.StringVar(&o.groupOpts.group, "group", "", "join consumer group `G` and commit what is printed")
	f.DurationVar(&o.groupOpts.sessionTimeout, "session-timeout", 0, "with --group: how long the group waits for a silent member (`D`, 1s to 5m; 0 = broker default, 10s)")
	f.StringVar(&o.groupOpts.instanceID, "instance-id", "", "with --group: static member id `ID` (rejoining within the session timeout keeps its partitions)")
	f.StringVar(&o.groupOpts.assignor, "assignor", "", "with --group: `NAME` range, roundrobin or sticky (default)")
	f.StringVar(&o.groupOpts.reset, "reset", "earliest", "with --group: where partitions without a committed offset start (`POS`: earliest or latest)")
	f.DurationVar(&o.groupOpts.idle, "idle", 2*time.Second, "with --group and without --follow: stop when no record came for `D`")
	return cmd
}

// checkGroupFlags refuses flags that make no sense with --group.
func (o *consumeOptions) checkGroupFlags(cmd *cobra.Command) error {
	for _, name := range []string{"partition", "from"} {
		if cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s cannot be used with --group: the group assigns partitions and starts from its committed offsets (see --reset)", name)
		}
	}
	if o.max < 0 {
		return fmt.Errorf("invalid --max %d: must not be negative", o.max)
	}
	if o.groupOpts.idle <= 0 {
		return fmt.Errorf("invalid --idle %s: must be positive", o.groupOpts.idle)
	}
	return nil
}

// request builds the fetch request the flags describe.
func (o *consumeOptions) request(topic string) (*sluicev1.FetchRequest, error) {
	start, err := parseFrom(o.from)
	if err != nil {
		return nil, err
	}
	if o.max < 0 {
		return nil, fmt.Errorf("invalid --max %d: must not be negative", o.max)
	}
	req := &sluicev1.FetchRequest{
		Topic:           topic,
		Follow:          o.follow,
		MaxTotalRecords: o.max,
	}
	if len(o.partitions) == 0 {
		req.StartAll = start
		return req, nil
	}
	seen := make(map[int]bool, len(o.partitions))
	for _, p := range o.partitions {
		if p < 0 || p > math.MaxInt32 {
			return nil, fmt.Errorf("invalid --partition %d", p)
		}
		if seen[p] {
			continue // "--partition 1,1" reads partition 1 once
		}
		seen[p] = true
		req.Partitions = append(req.Partitions, &sluicev1.FetchPartition{Partition: int32(p), Start: start})
	}
	return req, nil
}

// consume prints records until the stream ends, --max records are printed, or
// ctx is cancelled (SIGINT/SIGTERM); all three are a normal end.
func consume(ctx context.Context, client sluicev1.FetchServiceClient, req *sluicev1.FetchRequest,
	printer *recordPrinter) error {
	// Cancelling stops the broker's stream once --max is reached.
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := client.Fetch(streamCtx, req)
	if err != nil {
		return fmt.Errorf("fetch %q: %w", req.Topic, err)
	}
	limit := req.MaxTotalRecords // 0 means no limit
	var printed int64
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return printer.flush()
		}
		if err != nil {
			if ctx.Err() != nil { // interrupted: what was printed is the result
				return printer.flush()
			}
			return fmt.Errorf("fetch %q: %w", req.Topic, err)
		}
		records := resp.GetRecords()
		if limit > 0 {
			// The broker honours max_total_records too; trimming here keeps
			// the promise of --max even if it sends more.
			records = records[:min(int64(len(records)), limit-printed)]
		}
		if err := printRecords(printer, resp.GetPartition(), records); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		printed += int64(len(records))
		if limit > 0 && printed >= limit {
			return nil
		}
	}
}

// printRecords prints one response's records and flushes them, so a follower
// sees each response as soon as it arrives.
func printRecords(printer *recordPrinter, partition int32, records []*sluicev1.Record) error {
	for _, r := range records {
		if err := printer.print(partition, r); err != nil {
			return err
		}
	}
	return printer.flush()
}
