package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func newTopicCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe and delete topics",
	}
	cmd.AddCommand(
		newTopicCreateCmd(g),
		newTopicListCmd(g),
		newTopicDescribeCmd(g),
		newTopicDeleteCmd(g),
	)
	return cmd
}

// withAdmin runs fn with an AdminService client on a fresh connection.
func withAdmin(g *globalOptions, fn func(sluicev1.AdminServiceClient) error) error {
	conn, err := g.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(sluicev1.NewAdminServiceClient(conn))
}

func newTopicCreateCmd(g *globalOptions) *cobra.Command {
	var (
		partitions, replication int32
		configs                 []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a topic",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := parseConfigs(configs)
			if err != nil {
				return err
			}
			req := &sluicev1.CreateTopicRequest{
				Name:              args[0],
				Partitions:        partitions,
				ReplicationFactor: replication,
				Configs:           cfg,
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.CreateTopic(cmd.Context(), req)
				if err != nil {
					return fmt.Errorf("create topic %q: %w", req.Name, err)
				}
				n := len(resp.GetTopic().GetPartitions())
				if n == 0 { // a broker that leaves the description out
					n = int(req.Partitions)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "created topic %s (%d partitions)\n", req.Name, n)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.Int32Var(&partitions, "partitions", 1, "`N` partitions")
	f.Int32Var(&replication, "replication-factor", 0, "`R` replicas per partition (0 = broker default)")
	f.StringArrayVar(&configs, "config", nil, "topic config `k=v` (repeatable)")
	return cmd
}

func newTopicListCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List topics",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.ListTopics(cmd.Context(), &sluicev1.ListTopicsRequest{})
				if err != nil {
					return fmt.Errorf("list topics: %w", err)
				}
				return printTopicList(cmd.OutOrStdout(), resp.GetTopics())
			})
		},
	}
}

func printTopicList(out io.Writer, topics []*sluicev1.TopicSummary) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPARTITIONS\tREPLICATION")
	for _, t := range topics {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", t.GetName(), t.GetPartitions(), t.GetReplicationFactor())
	}
	return tw.Flush()
}

func newTopicDescribeCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a topic's configuration and partitions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.DescribeTopic(cmd.Context(), &sluicev1.DescribeTopicRequest{Name: args[0]})
				if err != nil {
					return fmt.Errorf("describe topic %q: %w", args[0], err)
				}
				return printTopicDescription(cmd.OutOrStdout(), resp.GetTopic())
			})
		},
	}
}

func printTopicDescription(out io.Writer, t *sluicev1.TopicDescription) error {
	// The header and the partition table are aligned separately: they have
	// different columns.
	hw := tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	fmt.Fprintf(hw, "Topic:\t%s\n", t.GetName())
	fmt.Fprintf(hw, "Topic ID:\t%s\n", t.GetTopicId())
	fmt.Fprintf(hw, "Replication factor:\t%d\n", t.GetReplicationFactor())
	fmt.Fprintf(hw, "Configs:\t%s\n\n", formatConfigs(t.GetConfigs()))
	if err := hw.Flush(); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tLEADER\tREPLICAS\tLOG START\tHIGH WATERMARK")
	for _, p := range t.GetPartitions() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\n", p.GetPartition(), formatLeader(p.GetLeaderId()),
			formatIDs(p.GetReplicaIds()), p.GetLogStartOffset(), p.GetHighWatermark())
	}
	return tw.Flush()
}

// formatConfigs lists configs sorted by key, so the output is stable.
func formatConfigs(configs map[string]string) string {
	if len(configs) == 0 {
		return "(none)"
	}
	parts := make([]string, 0, len(configs))
	for _, k := range slices.Sorted(maps.Keys(configs)) {
		parts = append(parts, k+"="+configs[k])
	}
	return strings.Join(parts, ", ")
}

// formatLeader shows "none" for broker id 0, which the API uses for "no leader known".
func formatLeader(id uint64) string {
	if id == 0 {
		return "none"
	}
	return strconv.FormatUint(id, 10)
}

func formatIDs(ids []uint64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return strings.Join(parts, ",")
}

func newTopicDeleteCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a topic and all its records",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				_, err := c.DeleteTopic(cmd.Context(), &sluicev1.DeleteTopicRequest{Name: args[0]})
				if err != nil {
					return fmt.Errorf("delete topic %q: %w", args[0], err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "deleted topic %s\n", args[0])
				return err
			})
		},
	}
}
