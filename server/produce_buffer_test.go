package server_test

import (
	"fmt"
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
)

// TestProduceBufferAdmitsLargeRequests: with a produce buffer smaller than
// one request, pipelined requests on several streams are each admitted in
// turn (one request may take the whole buffer) and every record is stored.
func TestProduceBufferAdmitsLargeRequests(t *testing.T) {
	c := startClusterWith(t, 1, func(cfg *server.Config) { cfg.Limits.ProduceBufferBytes = 4 << 10 })
	conn := c.conn(1)
	if _, err := sluicev1.NewAdminServiceClient(conn).CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "buf", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	const streams, perStream = 3, 1 << 20 // 1 MiB each, in requests of 64 KiB
	t.Run("streams", func(t *testing.T) { // returns when its parallel subtests have
		for i := range streams {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				produceBytes(t, conn, "buf", perStream, 4<<10, 16)
			})
		}
	})
	if hw, want := listOffset(t, conn, "buf", sluicev1.Boundary_BOUNDARY_LATEST), int64(streams*perStream/(4<<10)); hw != want {
		t.Fatalf("high watermark %d, want %d", hw, want)
	}
}
