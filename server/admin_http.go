package server

import (
	"fmt"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves the broker's HTTP admin endpoints (docs/metrics.md):
//
//   - /metrics: the broker's registry, in Prometheus's formats;
//   - /healthz: 200 while the process serves;
//   - /readyz: 200 once the broker serves clients (registered, metadata
//     caught up, local replicas started), else 503 and the reason;
//   - /debug/pprof/: Go's profiles.
//
// It has no listener of its own: `sluice serve --http-listen` serves it,
// and tests may serve it on 127.0.0.1 or call it directly. It must never
// be served on the client port's listener: profiles and metrics are for
// operators.
func (b *Broker) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.InstrumentMetricHandler(b.metrics.reg,
		promhttp.HandlerFor(b.metrics.reg, promhttp.HandlerOpts{Registry: b.metrics.reg, ErrorLog: promLogger{b}})))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if reason := b.notReadyReason(); reason != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintln(w, reason)
			return
		}
		_, _ = fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// notReadyReason says why the broker should not be sent clients yet; ""
// when it is ready.
func (b *Broker) notReadyReason() string {
	switch {
	case b.hasFailed():
		return "not ready: the broker's storage failed"
	case b.isStopping():
		return "not ready: the broker is shutting down"
	case !b.ready.Load():
		return "not ready: starting (registering in the cluster metadata and starting the local replicas)"
	case b.meta.Leader() == 0:
		return "not ready: no metadata controller is known (the metadata group has no leader)"
	}
	if applied, done := b.meta.State().GetAppliedIndex(), b.reconciled.Load(); done < applied {
		return fmt.Sprintf("not ready: the local replicas are catching up with the metadata (at index %d of %d)", done, applied)
	}
	return ""
}

// promLogger sends promhttp's errors (a collector that failed) to the
// broker's log.
type promLogger struct{ b *Broker }

func (l promLogger) Println(v ...any) { l.b.log.Warn("metrics", "err", fmt.Sprint(v...)) }
