package server

import (
	"context"
	"time"
)

// metadataCatchUp bounds how long a broker waits for its metadata to show
// what a request names before refusing it: another broker may have changed
// the metadata (reserved producer ids, created a topic or partitions) and
// told a client a moment before this broker applies the change.
const metadataCatchUp = 2 * time.Second

// awaitMetadata returns nil as soon as ok holds for this broker's metadata,
// else ok's last error once metadataCatchUp or ctx ends. ok is checked at
// once and then every few milliseconds, so a request that names something
// real is seldom delayed, and one that names nothing waits the bound.
func (b *Broker) awaitMetadata(ctx context.Context, ok func() error) error {
	err := ok()
	if err == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, metadataCatchUp)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return err
		case <-b.stopping:
			return errShuttingDown
		}
		if err = ok(); err == nil {
			return nil
		}
	}
}
