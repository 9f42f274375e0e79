package server

import "github.com/prometheus/client_golang/prometheus"

// internalCollectors are the collectors of the lower layers (raft, engine,
// storage, transport), registered into the broker's registry.
func (b *Broker) internalCollectors() []prometheus.Collector { return nil }
