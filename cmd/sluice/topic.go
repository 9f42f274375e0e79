package main

import (
	"context"
	"errors"
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
		Short: "Create, list, describe, alter and delete topics",
		Args:  cobra.ArbitraryArgs,
		RunE:  subcommandsOnly,
	}
	cmd.AddCommand(
		newTopicCreateCmd(g),
		newTopicListCmd(g),
		newTopicDescribeCmd(g),
		newTopicAlterCmd(g),
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
		Args:  useArgs,
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
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "created topic %s (%s)\n", req.Name, plural(int64(n), "partition"))
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
		Args:  useArgs,
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
		Args:  useArgs,
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
	fmt.Fprintf(hw, "Configs:\t%s\n", formatConfigs(t.GetConfigs()))
	if defaults := unsetConfigs(t); len(defaults) > 0 {
		fmt.Fprintf(hw, "Defaults:\t%s\n", formatConfigs(defaults))
	}
	fmt.Fprintln(hw)
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

// unsetConfigs are the configs in effect that the topic does not set: the
// broker's defaults (brokers that do not report them show none).
func unsetConfigs(t *sluicev1.TopicDescription) map[string]string {
	out := map[string]string{}
	for k, v := range t.GetEffectiveConfigs() {
		if _, set := t.GetConfigs()[k]; !set {
			out[k] = v
		}
	}
	return out
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

// topicAlterOptions holds the flags of topic alter.
type topicAlterOptions struct {
	configs, deletes []string
	partitions       int32
}

func newTopicAlterCmd(g *globalOptions) *cobra.Command {
	var o topicAlterOptions
	cmd := &cobra.Command{
		Use:   "alter NAME",
		Short: "Change a topic's configs or raise its partition count",
		Long: "Set (--config k=v) and remove (--delete-config k) topic configs, and raise the\n" +
			"partition count (--partitions N; it never goes down). Keyed records produced\n" +
			"afterwards go to murmur2(key) mod the new count.",
		Args: useArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			grow := cmd.Flags().Changed("partitions")
			set, err := parseConfigs(o.configs)
			if err != nil {
				return err
			}
			if len(set) == 0 && len(o.deletes) == 0 && !grow {
				return errors.New("nothing to alter: give --config, --delete-config or --partitions")
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				out := cmd.OutOrStdout()
				if len(set) > 0 || len(o.deletes) > 0 {
					if err := alterConfigs(cmd.Context(), c, out, args[0], set, o.deletes); err != nil {
						return err
					}
				}
				if grow {
					return raisePartitions(cmd.Context(), c, out, args[0], o.partitions)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.configs, "config", nil, "set topic config `k=v` (repeatable)")
	f.StringArrayVar(&o.deletes, "delete-config", nil, "remove topic config `k`, back to the broker default (repeatable)")
	f.Int32Var(&o.partitions, "partitions", 0, "raise the partition count to `N`")
	return cmd
}

func alterConfigs(ctx context.Context, c sluicev1.AdminServiceClient, out io.Writer, name string, set map[string]string, deletes []string) error {
	resp, err := c.AlterTopicConfigs(ctx, &sluicev1.AlterTopicConfigsRequest{Name: name, SetConfigs: set, DeleteConfigs: deletes})
	if err != nil {
		return fmt.Errorf("alter configs of topic %q: %w", name, err)
	}
	_, err = fmt.Fprintf(out, "topic %s configs: %s\n", name, formatConfigs(resp.GetTopic().GetConfigs()))
	return err
}

func raisePartitions(ctx context.Context, c sluicev1.AdminServiceClient, out io.Writer, name string, n int32) error {
	resp, err := c.CreatePartitions(ctx, &sluicev1.CreatePartitionsRequest{Name: name, Partitions: n})
	if err != nil {
		return fmt.Errorf("raise partitions of topic %q: %w", name, err)
	}
	got := len(resp.GetTopic().GetPartitions())
	if got == 0 { // a broker that leaves the description out
		got = int(n)
	}
	_, err = fmt.Fprintf(out, "topic %s has %s\n", name, plural(int64(got), "partition"))
	return err
}

func newTopicDeleteCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a topic and all its records",
		Args:  useArgs,
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
