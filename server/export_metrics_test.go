package server

import "github.com/prometheus/client_golang/prometheus"

// InternalCollectors exposes the broker's internal collectors to the tests
// of package server_test, which register them in a registry of their own.
func InternalCollectors(b *Broker) []prometheus.Collector { return b.internalCollectors() }
