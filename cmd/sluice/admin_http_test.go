package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var adminRE = regexp.MustCompile(`msg="admin HTTP serving" addr=(\S+)`)

func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServeHTTPListenServesMetricsAndReadiness(t *testing.T) {
	p := &brokerProc{t: t, dataDir: t.TempDir(), listen: "127.0.0.1:0", logs: &syncBuffer{},
		extra: []string{"--http-listen", "127.0.0.1:0"}}
	p.start()
	t.Cleanup(p.kill)
	m := adminRE.FindStringSubmatch(p.logs.String())
	if m == nil {
		t.Fatalf("no admin HTTP address in the log:\n%s", p.logs)
	}
	base := "http://" + m[1]
	p.mustCLI("", "topic", "create", "events")
	p.mustCLI("a\nb\n", "produce", "events")
	if code, body := getURL(t, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz of a serving broker: %d %q", code, body)
	}
	code, body := getURL(t, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, `sluice_produce_records_total{topic="events"} 2`) {
		t.Fatalf("/metrics: %d, want sluice_produce_records_total{topic=\"events\"} 2 in:\n%s", code, body)
	}
}

func TestServeHTTPListenOffServesNothing(t *testing.T) {
	p := &brokerProc{t: t, dataDir: t.TempDir(), listen: "127.0.0.1:0", logs: &syncBuffer{},
		extra: []string{"--http-listen", ""}}
	p.start()
	t.Cleanup(p.kill)
	if strings.Contains(p.logs.String(), "admin HTTP serving") {
		t.Fatalf("--http-listen \"\" still serves the admin endpoints:\n%s", p.logs)
	}
}

func TestDefaultAdminAddressInUseFallsBackToAFreePort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	logger := slog.New(slog.DiscardHandler)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	if _, err := serveAdmin(taken.Addr().String(), false, h, logger); err == nil {
		t.Fatal("an address asked for and in use: no error")
	}
	var logs syncBuffer
	stop, err := serveAdmin(taken.Addr().String(), true, h, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("the default address in use: %v, want a free port", err)
	}
	defer stop()
	m := adminRE.FindStringSubmatch(logs.String())
	if m == nil || m[1] == taken.Addr().String() {
		t.Fatalf("fallback did not log a new address:\n%s", logs.String())
	}
	if code, body := getURL(t, "http://"+m[1]+"/"); code != http.StatusOK || body != "ok" {
		t.Fatalf("fallback address %s: %d %q", m[1], code, body)
	}
}
