package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// printClusterStatus writes the status as three parts: the brokers, one line
// per replica of every partition (the partition's columns on its first
// replica's line only), and a summary with the reasons of unknown figures.
func printClusterStatus(out io.Writer, st *clusterStatus) error {
	fmt.Fprintf(out, "Cluster %s, controller %s\n\n", orNone(st.ClusterID), formatLeader(st.ControllerID))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BROKER\tADDRESS\tRACK\tCONTROLLER\tSTATUS")
	for _, b := range st.Brokers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", b.ID, b.Address, orNone(b.Rack), yesOrEmpty(b.Controller), brokerState(b))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(st.Partitions) > 0 {
		fmt.Fprintln(out)
		if err := printReplicaTable(out, st.Partitions); err != nil {
			return err
		}
	}
	fmt.Fprintln(out)
	return printSummary(out, st)
}

func printReplicaTable(out io.Writer, parts []partitionStatus) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tSTATE\tLEADER\tREPLICAS\tREPLICA\tIN SYNC\tHIGH WATERMARK\tLOG START\tLAG")
	for _, p := range parts {
		topic, part, state := p.Topic, strconv.Itoa(int(p.Partition)), p.State
		leader, replicas := formatLeader(p.LeaderID), formatIDs(p.ReplicaIDs)
		if len(p.Replicas) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\t\t\t\t\n", topic, part, state, leader, replicas)
		}
		for _, r := range p.Replicas {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", topic, part, state, leader, replicas,
				replicaName(r), optBool(r.InSync), optInt(r.HighWatermark), optInt(r.LogStartOffset), optInt(r.Lag))
			topic, part, state, leader, replicas = "", "", "", "", "" // shown on the first replica's line only
		}
	}
	return tw.Flush()
}

func optBool(v *bool) string {
	switch {
	case v == nil:
		return "?"
	case *v:
		return "yes"
	}
	return "no"
}

// replicaName marks the leader's replica with a star.
func replicaName(r replicaStatus) string {
	if r.Leader {
		return strconv.FormatUint(r.BrokerID, 10) + "*"
	}
	return strconv.FormatUint(r.BrokerID, 10)
}

// statusSummary counts what an operator looks for first.
type statusSummary struct {
	partitions, leaderless    int
	underReplicated           int
	replicas, behind, unknown int
	reasons                   []string // why lags are unknown, each once
	// The replica furthest behind its leader.
	maxLag          int64
	maxLagTopic     string
	maxLagPartition int32
	maxLagReplica   uint64
}

func summarize(st *clusterStatus) statusSummary {
	s := statusSummary{partitions: len(st.Partitions)}
	// An unreachable broker is reported once, in its own line; the reasons
	// are the other causes of unknown lags.
	seen := map[string]bool{"": true}
	down := map[uint64]bool{}
	for _, b := range st.Brokers {
		down[b.ID] = b.Error != ""
	}
	for _, p := range st.Partitions {
		switch p.State {
		case stateLeaderless:
			s.leaderless++
		case stateUnderReplicated:
			s.underReplicated++
		}
		for _, r := range p.Replicas {
			s.replicas++
			switch {
			case r.Lag == nil:
				s.unknown++
				if why := unknownLagReason(p, r, down); !seen[why] {
					seen[why] = true
					s.reasons = append(s.reasons, why)
				}
			case *r.Lag > 0:
				s.behind++
				if *r.Lag > s.maxLag {
					s.maxLag, s.maxLagTopic, s.maxLagPartition, s.maxLagReplica = *r.Lag, p.Topic, p.Partition, r.BrokerID
				}
			}
		}
	}
	return s
}

// unknownLagReason says why a replica's lag is unknown: its own figures are
// missing, or its leader's are; "" when the cause is an unreachable broker.
func unknownLagReason(p partitionStatus, r replicaStatus, down map[uint64]bool) string {
	if r.Error != "" {
		if down[r.BrokerID] {
			return ""
		}
		return r.Error
	}
	if p.LeaderID == 0 {
		return "partitions without a leader have no lag"
	}
	for _, l := range p.Replicas {
		if l.Leader && l.Error != "" {
			if down[l.BrokerID] {
				return ""
			}
			return l.Error
		}
	}
	return fmt.Sprintf("leader %d is not one of the replicas", p.LeaderID)
}

func printSummary(out io.Writer, st *clusterStatus) error {
	s := summarize(st)
	fmt.Fprintf(out, "%s, %s without a leader, %s under-replicated; %s of %s behind the leader",
		plural(int64(s.partitions), "partition"), groupDigits(int64(s.leaderless)), groupDigits(int64(s.underReplicated)),
		groupDigits(int64(s.behind)), plural(int64(s.replicas), "replica"))
	if s.behind > 0 {
		fmt.Fprintf(out, " (furthest: %s partition %d, replica %d, %s)",
			s.maxLagTopic, s.maxLagPartition, s.maxLagReplica, plural(s.maxLag, "record"))
	}
	if s.unknown > 0 {
		fmt.Fprintf(out, "; lag unknown for %s", groupDigits(int64(s.unknown)))
	}
	fmt.Fprintln(out)
	for _, b := range st.Brokers {
		if b.Error != "" {
			fmt.Fprintf(out, "broker %d (%s) did not answer: %s\n", b.ID, b.Address, b.Error)
		}
	}
	for _, r := range s.reasons {
		fmt.Fprintln(out, r)
	}
	return nil
}

func brokerState(b brokerStatus) string {
	if b.Error != "" {
		return "unreachable"
	}
	return "ok"
}

func optInt(v *int64) string {
	if v == nil {
		return "?"
	}
	return strconv.FormatInt(*v, 10)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesOrEmpty(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
