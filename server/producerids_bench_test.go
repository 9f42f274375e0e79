package server_test

import (
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// BenchmarkInitProducer measures InitProducer on one broker (on disk), one
// caller at a time and many at once (-cpu sets how many: 8 per CPU).
func BenchmarkInitProducer(b *testing.B) {
	br := servertest.Start(b, servertest.OnDisk())
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := br.ProduceClient.InitProducer(b.Context(), &sluicev1.InitProducerRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := br.ProduceClient.InitProducer(b.Context(), &sluicev1.InitProducerRequest{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
