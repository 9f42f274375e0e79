package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func newGroupCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe, delete consumer groups and reset their offsets",
		Args:  cobra.ArbitraryArgs,
		RunE:  subcommandsOnly,
	}
	cmd.AddCommand(newGroupListCmd(g), newGroupDescribeCmd(g), newGroupDeleteCmd(g), newGroupResetCmd(g))
	return cmd
}

// withGroups runs fn with a GroupCoordinatorService client on a fresh connection.
func withGroups(g *globalOptions, fn func(sluicev1.GroupCoordinatorServiceClient) error) error {
	conn, err := g.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(sluicev1.NewGroupCoordinatorServiceClient(conn))
}

func newGroupListCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List consumer groups",
		Args:  useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withGroups(g, func(c sluicev1.GroupCoordinatorServiceClient) error {
				resp, err := c.ListGroups(cmd.Context(), &sluicev1.ListGroupsRequest{})
				if err != nil {
					return fmt.Errorf("list groups: %w", err)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "GROUP\tSTATE\tMEMBERS")
				for _, gr := range resp.GetGroups() {
					fmt.Fprintf(tw, "%s\t%s\t%d\n", gr.GetGroupId(), gr.GetState(), gr.GetMembers())
				}
				return tw.Flush()
			})
		},
	}
}

func newGroupDescribeCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "describe GROUP",
		Short: "Show a group's state, members and, per partition, committed offset, log end offset and lag",
		Args:  useArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withGroups(g, func(c sluicev1.GroupCoordinatorServiceClient) error {
				resp, err := c.DescribeGroup(cmd.Context(), &sluicev1.DescribeGroupRequest{GroupId: args[0]})
				if err != nil {
					return fmt.Errorf("describe group %q: %w", args[0], err)
				}
				return printGroup(cmd.OutOrStdout(), resp)
			})
		},
	}
}

// printGroup prints a description: a header, the members, then one line
// per partition with its owner ("-" for no commit or no owner).
func printGroup(out io.Writer, d *sluicev1.DescribeGroupResponse) error {
	fmt.Fprintf(out, "group %s: %s, generation %d, %s, assignor %s, coordinator broker %d\n",
		d.GetGroupId(), d.GetState(), d.GetGeneration(), plural(int64(len(d.GetMembers())), "member"), orDash(d.GetAssignor()), d.GetCoordinatorId())
	owner := map[string]string{}
	for _, m := range d.GetMembers() {
		for _, tp := range m.GetAssigned() {
			for _, p := range tp.GetPartitions() {
				owner[fmt.Sprintf("%s/%d", tp.GetTopic(), p)] = m.GetMemberId()
			}
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCOMMITTED\tLOG-END\tLAG\tMEMBER")
	for _, p := range d.GetPartitions() {
		committed, lag := "-", "-"
		if p.GetCommittedOffset() >= 0 {
			committed, lag = fmt.Sprint(p.GetCommittedOffset()), fmt.Sprint(p.GetLag())
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", p.GetTopic(), p.GetPartition(), committed, p.GetLogEndOffset(), lag,
			orDash(owner[fmt.Sprintf("%s/%d", p.GetTopic(), p.GetPartition())]))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newGroupDeleteCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP",
		Short: "Delete a group without members and its committed offsets",
		Args:  useArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withGroups(g, func(c sluicev1.GroupCoordinatorServiceClient) error {
				if _, err := c.DeleteGroup(cmd.Context(), &sluicev1.DeleteGroupRequest{GroupId: args[0]}); err != nil {
					return fmt.Errorf("delete group %q: %w", args[0], err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "deleted group %s\n", args[0])
				return err
			})
		},
	}
}

func newGroupResetCmd(g *globalOptions) *cobra.Command {
	var (
		topic, to  string
		partitions []int32
	)
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP --topic T --to POS",
		Short: "Set a group's committed offsets (only while the group has no members)",
		Long: "Set the committed offsets of a group without members, for every partition of\n" +
			"a topic or those named: --to earliest, latest, an offset, or an RFC 3339 time\n" +
			"(the first record at or after it). An offset outside a partition's log is set\n" +
			"to the nearest end of the log (its start or its end), as Kafka does.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &sluicev1.ResetOffsetsRequest{GroupId: args[0], Topic: topic, Partitions: partitions}
			start, err := parseFrom(to)
			if err != nil {
				return fmt.Errorf("invalid --to %q: %w", to, err)
			}
			switch s := start.GetPosition().(type) {
			case *sluicev1.StartPosition_Boundary:
				req.To = &sluicev1.ResetOffsetsRequest_Boundary{Boundary: s.Boundary}
			case *sluicev1.StartPosition_Offset:
				req.To = &sluicev1.ResetOffsetsRequest_Offset{Offset: s.Offset}
			case *sluicev1.StartPosition_TimestampMs:
				req.To = &sluicev1.ResetOffsetsRequest_TimestampMs{TimestampMs: s.TimestampMs}
			default:
				return fmt.Errorf("invalid --to %q", to)
			}
			return withGroups(g, func(c sluicev1.GroupCoordinatorServiceClient) error {
				resp, err := c.ResetOffsets(cmd.Context(), req)
				if err != nil {
					return fmt.Errorf("reset offsets of group %q: %w", args[0], err)
				}
				var parts []string
				var clamped []string
				for _, o := range resp.GetOffsets() {
					parts = append(parts, fmt.Sprintf("%d:%d", o.GetPartition(), o.GetOffset()))
					if want, ok := req.To.(*sluicev1.ResetOffsetsRequest_Offset); ok && o.GetOffset() != want.Offset {
						clamped = append(clamped, strconv.Itoa(int(o.GetPartition())))
					}
				}
				out := cmd.OutOrStdout()
				if _, err := fmt.Fprintf(out, "group %s now resumes %s at %s\n", args[0], topic, strings.Join(parts, " ")); err != nil {
					return err
				}
				if len(clamped) > 0 {
					// The broker clamps as kafka-consumer-groups --to-offset does.
					noun := "partition"
					if len(clamped) > 1 {
						noun = "partitions"
					}
					_, err = fmt.Fprintf(out, "offset %s is outside the log of %s %s: set to the nearest end of the log instead\n",
						to, noun, strings.Join(clamped, " "))
				}
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&topic, "topic", "", "`TOPIC` whose offsets to set (required)")
	f.StringVar(&to, "to", "", "`POS`: earliest, latest, an offset or an RFC 3339 time (required)")
	f.Int32SliceVar(&partitions, "partition", nil, "partition `P` (repeatable or P,Q,...; default all)")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}
