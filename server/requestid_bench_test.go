package server

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
)

// BenchmarkRequestID is what the request id adds to a call: the metadata
// looked at, an id made (or the client's taken), and the two context values
// (the id, the logging field). A produce or fetch stream pays it once per
// stream, a unary call once per call.
func BenchmarkRequestID(b *testing.B) {
	br := &Broker{}
	br.reqIDs.init(1, 0xabcdef12)
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{
		{"broker's id", metadata.NewIncomingContext(context.Background(), metadata.Pairs("user-agent", "grpc-go"))},
		{"client's id", metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-request-id", "req-42"))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ctx, id := br.withRequestID(tc.ctx)
				if id == "" || ctx == nil {
					b.Fatal("no id")
				}
			}
		})
	}
}
