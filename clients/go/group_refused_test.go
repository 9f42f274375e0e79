package sluice_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// TestGroupConsumerReportsARefusedJoin: a join the coordinator refuses for
// good (a session timeout outside its bounds) is Next's error, at once,
// instead of a member that retries forever and never gets a record; the
// refusal is also SessionErr.
func TestGroupConsumerReportsARefusedJoin(t *testing.T) {
	topic := topicName("refused-join")
	c := newClient(t, brokerAddr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 1})
	gc, err := sluice.NewGroupConsumer(c, sluice.GroupConsumerConfig{
		Group: topic, Topics: []string{topic}, Reset: sluice.Earliest, SessionTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = gc.Next(ctx)
	var e *sluice.Error
	if !errAs(err, &e) || e.Code != codes.InvalidArgument {
		t.Fatalf("Next = %v, want the coordinator's INVALID_ARGUMENT", err)
	}
	if serr := gc.SessionErr(); serr == nil || serr.Error() != err.Error() {
		t.Errorf("SessionErr = %v, want %v", serr, err)
	}
}
