package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// The observability tests run a real Prometheus server (Debian's package,
// which `make test` installs) against three broker processes, and ask it
// what an operator's dashboards and alerts would ask.

// requirePrometheusEnv is set by the Makefile: there a missing Prometheus is
// a broken set-up, not a reason to skip.
const requirePrometheusEnv = "SLUICE_REQUIRE_PROMETHEUS"

// startObservedCluster starts three brokers, each with its HTTP admin
// listener on a loopback port of its own, and returns the cluster and the
// listeners' addresses by broker id.
func startObservedCluster(t *testing.T) (*processCluster, map[uint64]string) {
	t.Helper()
	httpAddrs := map[uint64]string{}
	c := startProcessClusterWith(t, 3, func(id uint64) []string {
		httpAddrs[id] = freeAddrs(t, 1)[0] // a new port for each attempt
		return []string{"--http-listen", httpAddrs[id]}
	})
	c.logsOnFailure()
	return c, httpAddrs
}

// prometheusServer is a Prometheus process scraping the brokers every second.
type prometheusServer struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	logs *syncBuffer
}

func startPrometheus(t *testing.T, targets []string) *prometheusServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv(requirePrometheusEnv) != "" {
			t.Fatalf("prometheus is not installed, and %s is set: `make test` installs Debian's prometheus package", requirePrometheusEnv)
		}
		t.Skip("prometheus is not installed (`make test` installs Debian's prometheus package)")
	}
	dir := t.TempDir()
	var quoted []string
	for _, a := range targets {
		quoted = append(quoted, strconv.Quote(a))
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"+
		"scrape_configs:\n  - job_name: sluice\n    static_configs:\n      - targets: [%s]\n", strings.Join(quoted, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &prometheusServer{t: t, addr: freeAddrs(t, 1)[0], logs: &syncBuffer{}}
	p.cmd = exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+p.addr)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("prometheus log:\n%s", p.logs)
		}
	})
	waitForT(t, "prometheus to be ready", func() bool {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// query evaluates a PromQL expression that yields one number (an instant
// vector of one sample, e.g. a sum()); ok is false while it yields none.
func (p *prometheusServer) query(expr string) (v float64, ok bool) {
	p.t.Helper()
	resp, err := http.Get("http://" + p.addr + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		p.t.Fatalf("query %s: %v", expr, err)
	}
	if body.Status != "success" {
		p.t.Fatalf("query %s: %s", expr, body.Error)
	}
	if len(body.Data.Result) != 1 {
		return 0, false
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// waitQuery polls expr until cond holds for its value, for up to a minute
// (several scrapes and a rule evaluation or two).
func (p *prometheusServer) waitQuery(what, expr string, cond func(float64) bool) {
	p.t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last float64
	var seen bool
	for time.Now().Before(deadline) {
		if v, ok := p.query(expr); ok {
			last, seen = v, true
			if cond(v) {
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.t.Fatalf("%s: %s was %v (any sample: %v) after a minute", what, expr, last, seen)
}

// consumeAndCommit reads n records of topic as a member of group, commits
// and leaves.
func consumeAndCommit(t *testing.T, client *sluice.Client, group, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	g, err := sluice.NewGroupConsumer(client, sluice.GroupConsumerConfig{Group: group, Topics: []string{topic}, AutoCommitInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := g.Next(ctx); err != nil {
			t.Fatalf("record %d of %d in group %s: %v", i+1, n, group, err)
		}
	}
	if err := g.Commit(ctx); err != nil {
		t.Fatalf("commit group %s: %v", group, err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("leave group %s: %v", group, err)
	}
}

func produceN(t *testing.T, client *sluice.Client, topic string, n int) {
	t.Helper()
	p, err := sluice.NewProducer(client, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	recs := make([]*sluice.Record, n)
	for i := range recs {
		recs[i] = &sluice.Record{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte("observed")}
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := p.ProduceSync(ctx, recs...); err != nil {
		t.Fatalf("produce %d records to %s: %v", n, topic, err)
	}
}

func TestPrometheusSeesLagAndUnderReplication(t *testing.T) {
	c, httpAddrs := startObservedCluster(t)
	var targets []string
	for _, a := range httpAddrs {
		targets = append(targets, a)
	}
	prom := startPrometheus(t, targets)
	client, err := sluice.NewClient([]string{c.brokers[1].addr})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const topic, group = "observed", "watchers"
	if _, err := sluice.NewAdmin(client).CreateTopic(t.Context(), sluice.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}

	produceN(t, client, topic, 300)
	consumeAndCommit(t, client, group, topic, 300)
	lag := fmt.Sprintf(`sum(sluice_consumer_group_lag_records{group=%q,topic=%q})`, group, topic)
	prom.waitQuery("a group that read everything has no lag", lag, func(v float64) bool { return v == 0 })

	produceN(t, client, topic, 200)
	prom.waitQuery("lag rises while the group is stopped", lag, func(v float64) bool { return v == 200 })

	consumeAndCommit(t, client, group, topic, 200)
	prom.waitQuery("lag falls when the group resumes", lag, func(v float64) bool { return v == 0 })

	under := `sum(sluice_partitions_under_replicated)`
	prom.waitQuery("no partition is under-replicated with every broker up", under, func(v float64) bool { return v == 0 })
	c.brokers[3].kill()
	prom.waitQuery("partitions are under-replicated once a broker is killed", under, func(v float64) bool { return v > 0 })
	c.brokers[3].start()
	prom.waitQuery("no partition is under-replicated once the broker is back", under, func(v float64) bool { return v == 0 })
}

// TestDashboardQueriesOnlyExportedSeries reads every PromQL expression of
// docs/grafana/sluice.json and checks that each metric it names is exported
// by the brokers of a cluster that has produced, consumed and run a group.
func TestDashboardQueriesOnlyExportedSeries(t *testing.T) {
	c, httpAddrs := startObservedCluster(t)
	client, err := sluice.NewClient([]string{c.brokers[1].addr})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const topic = "dashboard"
	if _, err := sluice.NewAdmin(client).CreateTopic(t.Context(), sluice.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	produceN(t, client, topic, 30)
	consumeAndCommit(t, client, "dashboard-readers", topic, 30)

	wanted := dashboardMetrics(t, "../../docs/grafana/sluice.json")
	if len(wanted) < 10 {
		t.Fatalf("found only %d metric names in the dashboard: %v", len(wanted), wanted)
	}
	// Series with labels appear on the brokers that saw them (the group's
	// coordinator, a partition's leader), so the cluster exports a name if
	// any broker does; and a late one may need the next scrape, so poll.
	waitForT(t, "every series the dashboard queries to be exported", func() bool {
		exported := map[string]bool{}
		for _, a := range httpAddrs {
			for name := range scrapeNames(t, a) {
				exported[name] = true
			}
		}
		var missing []string
		for _, m := range wanted {
			if !exported[m] {
				missing = append(missing, m)
			}
		}
		if len(missing) > 0 {
			t.Logf("not (yet) exported: %v", missing)
		}
		return len(missing) == 0
	})
}

// metricNameRE finds the metric names in a PromQL expression whose label
// matchers ({...}) and grouping clauses (by (...), without (...)) were
// removed: label names such as grpc_method share the metrics' prefixes.
// The dashboard's metrics all have one of these prefixes.
var (
	metricNameRE = regexp.MustCompile(`\b((?:sluice|grpc|process|go)_[a-zA-Z0-9_]+)\b`)
	labelPartRE  = regexp.MustCompile(`\{[^}]*\}|\b(?:by|without)\s*\([^)]*\)`)
)

func dashboardMetrics(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("%s is not a dashboard: %v", path, err)
	}
	var names []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range metricNameRE.FindAllStringSubmatch(labelPartRE.ReplaceAllString(tg.Expr, ""), -1) {
				if !slices.Contains(names, m[1]) {
					names = append(names, m[1])
				}
			}
		}
	}
	return names
}

// scrapeNames returns the names of the series a broker's /metrics exports,
// with a histogram's _bucket, _sum and _count series under both their own
// name and the histogram's.
func scrapeNames(t *testing.T, addr string) map[string]bool {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Logf("scrape %s: %v", addr, err)
		return nil
	}
	defer resp.Body.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 64<<20))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		end := strings.IndexAny(line, "{ ")
		if end < 0 {
			continue
		}
		name := line[:end]
		names[name] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok {
				names[base] = true
			}
		}
	}
	return names
}
