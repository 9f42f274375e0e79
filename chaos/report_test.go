package chaos

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// markdownReport summarises a run for docs/: faults by kind, the longest
// time without an acknowledgement and the recovery after the heal (median
// and maximum) per kind, and what each checker counted.
func markdownReport(sum runSummary, r *Report) string {
	var sb strings.Builder
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	fmt.Fprintf(&sb, "# Fault-injection run: seed %d, %d brokers\n\n", sum.Seed, sum.Brokers)
	fmt.Fprintf(&sb, "Written by the chaos suite (`chaos/`) on %s at commit %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(string(commit)))
	byKind := map[Kind][]faultResult{}
	for _, f := range sum.Faults {
		byKind[f.Kind] = append(byKind[f.Kind], f)
	}
	fmt.Fprintf(&sb, "%d faults.\n\n", len(sum.Faults))
	sb.WriteString("| fault | count | longest ack gap, median | longest ack gap, max | every partition acked after heal, median | max | not recovered |\n|---|---|---|---|---|---|---|\n")
	for _, k := range AllKinds {
		fs := byKind[k]
		if len(fs) == 0 {
			continue
		}
		var gaps, recs []float64
		notRecovered := 0
		for _, f := range fs {
			gaps = append(gaps, f.AckGapS)
			recs = append(recs, f.RecoveryS)
			if !f.Recovered {
				notRecovered++
			}
		}
		fmt.Fprintf(&sb, "| %s | %d | %.2f s | %.2f s | %.2f s | %.2f s | %d |\n", k, len(fs), median(gaps), slices.Max(gaps), median(recs), slices.Max(recs), notRecovered)
	}
	fmt.Fprintf(&sb, "\n| checker | count |\n|---|---|\n")
	rows := []struct {
		name string
		n    int
	}{
		{"records acknowledged", sum.Acked}, {"records stored", sum.Stored}, {"records that failed (reported to the producer)", sum.Failed},
		{"records consumed by the group (distinct)", sum.Consumed}, {"redeliveries to the group", sum.Redelivered},
		{"acknowledged records lost", len(r.Lost)}, {"acknowledged records at another offset", len(r.Misplaced)},
		{"duplicates", len(r.Duplicates)}, {"reorderings", len(r.Reordered)}, {"offset gaps", len(r.Gaps)},
		{"divergent partitions", len(r.Divergent)}, {"unavailable partitions or replicas", len(r.Unavailable)},
		{"acknowledged records never consumed", len(r.Unconsumed)}, {"committed offsets moved backwards", len(r.CommitsBackward)},
	}
	for _, row := range rows {
		fmt.Fprintf(&sb, "| %s | %d |\n", row.name, row.n)
	}
	fmt.Fprintf(&sb, "\nReplicas agreed %.2f s after the last heal.\n", sum.SettleS)
	if len(sum.Anomalies) > 0 {
		sb.WriteString("\n## Anomalies\n\n")
		for _, a := range sum.Anomalies {
			fmt.Fprintf(&sb, "- %s\n", a)
		}
	}
	return sb.String()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
