package server_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// logState is what a client can see of the stored logs: the topics, and each
// partition's high watermark and records.
type logState struct {
	topics []string
	hw     map[string][]int64
	recs   map[string][][]*sluicev1.Record
}

func captureLogs(t *testing.T, b *servertest.Broker, skip ...string) logState {
	t.Helper()
	list, err := b.AdminClient.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{})
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	s := logState{hw: map[string][]int64{}, recs: map[string][][]*sluicev1.Record{}}
	for _, tp := range list.GetTopics() {
		name := tp.GetName()
		s.topics = append(s.topics, name)
		if slices.Contains(skip, name) {
			continue
		}
		s.hw[name] = b.HighWatermarks(t, name)
		for p := range s.hw[name] {
			s.recs[name] = append(s.recs[name], b.FetchAll(t, name, int32(p), 0))
		}
	}
	return s
}

func checkLogsUnchanged(t *testing.T, before, after logState) {
	t.Helper()
	if strings.Join(before.topics, ",") != strings.Join(after.topics, ",") {
		t.Errorf("topics changed from %q to %q", before.topics, after.topics)
	}
	for name, hws := range before.hw {
		for p, hw := range hws {
			if got := after.hw[name][p]; got != hw {
				t.Errorf("%s/%d: high watermark moved from %d to %d", name, p, hw, got)
			}
			a, b := after.recs[name][p], before.recs[name][p]
			if len(a) != len(b) {
				t.Errorf("%s/%d: %d records, had %d", name, p, len(a), len(b))
				continue
			}
			for i := range b {
				if !proto.Equal(a[i], b[i]) {
					t.Errorf("%s/%d: record %d changed from %v to %v", name, p, i, b[i], a[i])
				}
			}
		}
	}
}

// badCase is one invalid request and the error a client must get for it.
type badCase struct {
	name string
	// call makes the request and returns the status it failed with.
	call func(t *testing.T) *status.Status
	code codes.Code
	// msg are substrings the message must contain (the field, limit or topic).
	msg []string
	// field is the BadRequest field of an INVALID_ARGUMENT status. Errors
	// inside a produce response have no details; their message names it.
	field    string
	inStream bool
	// oor is the OffsetOutOfRangeDetail an OUT_OF_RANGE status carries.
	oor *sluicev1.OffsetOutOfRangeDetail
}

// TestBadInput sends invalid requests to every service and checks the status
// code, that the message names the field, limit or topic, that an invalid
// argument names its field in a BadRequest detail, and that nothing stored
// changed. Produce errors come back inside the response and leave the stream
// usable: each is followed by a valid request on the same stream.
func TestBadInput(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "existing", 3)
	b.Produce(t, "existing", 0, valueRecords("a", 2)...)
	b.Produce(t, "existing", 0, valueRecords("b", 1)...)
	b.Produce(t, "existing", 1, valueRecords("c", 2)...)
	b.CreateTopic(t, "small", 1, "max.message.bytes", "100")
	b.Produce(t, "small", 0, valueRecords("d", 1)...)
	b.CreateTopic(t, "canary", 1)

	ps := openProduce(t, b)
	produce := func(req *sluicev1.ProduceRequest) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status { return produceFailure(t, ps, req) }
	}
	var cases []badCase
	cases = append(cases, createTopicCases(b)...)
	cases = append(cases, produceCases(produce)...)
	cases = append(cases, fetchCases(b)...)
	cases = append(cases, topicLookupCases(b)...)
	cases = append(cases, alterCases(b)...)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := captureLogs(t, b, "canary")
			st := tc.call(t)
			checkFailure(t, st, tc)
			checkLogsUnchanged(t, before, captureLogs(t, b, "canary"))
		})
	}
}

func checkFailure(t *testing.T, st *status.Status, tc badCase) {
	t.Helper()
	checkStatus(t, st.Err(), tc.code, tc.msg...)
	if tc.code == codes.InvalidArgument {
		if tc.field == "" {
			t.Fatal("test case names no field")
		}
		if !strings.Contains(st.Message(), tc.field) {
			t.Errorf("message %q does not name the field %q", st.Message(), tc.field)
		}
		if !tc.inStream {
			checkBadRequest(t, st, tc.field)
		}
	}
	if tc.oor != nil {
		checkOutOfRange(t, st, tc.oor)
	}
}

func checkOutOfRange(t *testing.T, st *status.Status, want *sluicev1.OffsetOutOfRangeDetail) {
	t.Helper()
	for _, d := range st.Details() {
		if got, ok := d.(*sluicev1.OffsetOutOfRangeDetail); ok {
			if got.GetRequestedOffset() != want.GetRequestedOffset() || got.GetLogStartOffset() != want.GetLogStartOffset() ||
				got.GetHighWatermark() != want.GetHighWatermark() {
				t.Errorf("OffsetOutOfRangeDetail %v, want %v", got, want)
			}
			return
		}
	}
	t.Errorf("no OffsetOutOfRangeDetail in %v", st.Details())
}

// produceFailure sends a request that must fail as a whole, then a valid one
// on the same stream, which must succeed.
func produceFailure(t *testing.T, ps *produceStream, req *sluicev1.ProduceRequest) *status.Status {
	t.Helper()
	resp := ps.roundTrip(t, req)
	e := resp.GetError()
	if e == nil {
		t.Fatalf("request succeeded: %v", resp)
	}
	if len(resp.GetResults()) != 0 {
		t.Errorf("a failed request has results: %v", resp.GetResults())
	}
	if e.GetRetryable() {
		t.Errorf("error %v is marked retryable; the same request cannot succeed", e)
	}
	ok := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "canary", Records: valueRecords("ok", 1)})
	if ok.GetError() != nil || len(ok.GetResults()) != 1 || ok.GetResults()[0].GetError() != nil {
		t.Fatalf("valid request after the failed one: %v", ok)
	}
	return status.New(codes.Code(e.GetCode()), e.GetMessage())
}

func unary(err error) *status.Status {
	st, _ := status.FromError(err)
	return st
}

func createTopicCases(b *servertest.Broker) []badCase {
	create := func(name string, partitions int32, configs map[string]string) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			resp, err := b.AdminClient.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: name, Partitions: partitions, Configs: configs})
			if err == nil {
				t.Fatalf("created %v", resp)
			}
			return unary(err)
		}
	}
	long := strings.Repeat("x", 250)
	return []badCase{
		{name: "create/empty name", call: create("", 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{"required"}},
		{name: "create/slash", call: create("a/b", 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{`"a/b"`}},
		{name: "create/space", call: create("a b", 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{`"a b"`}},
		{name: "create/non-ascii", call: create("café", 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{"ASCII"}},
		{name: "create/250 characters", call: create(long, 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{"250", "249"}},
		{name: "create/dot", call: create(".", 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{`"."`}},
		{name: "create/dot dot", call: create("..", 1, nil), code: codes.InvalidArgument, field: "name", msg: []string{`".."`}},
		{name: "create/zero partitions", call: create("new", 0, nil), code: codes.InvalidArgument, field: "partitions", msg: []string{"got 0"}},
		{name: "create/negative partitions", call: create("new", -3, nil), code: codes.InvalidArgument, field: "partitions", msg: []string{"got -3"}},
		{name: "create/exists", call: create("existing", 3, nil), code: codes.AlreadyExists, msg: []string{`"existing"`}},
		{name: "create/exists with other partitions", call: create("existing", 1, nil), code: codes.AlreadyExists, msg: []string{`"existing"`}},
		{name: "create/unknown config", call: create("new", 1, map[string]string{"retention.hours": "1"}), code: codes.InvalidArgument,
			field: "configs", msg: []string{"retention.hours"}},
		{name: "create/bad config value", call: create("new", 1, map[string]string{"retention.ms": "soon"}), code: codes.InvalidArgument,
			field: "configs[retention.ms]", msg: []string{"soon", ">= -1"}},
		{name: "create/config below minimum", call: create("new", 1, map[string]string{"max.message.bytes": "0"}), code: codes.InvalidArgument,
			field: "configs[max.message.bytes]", msg: []string{"from 1 to"}},
		{name: "create/retention below -1", call: create("new", 1, map[string]string{"retention.bytes": "-2"}), code: codes.InvalidArgument,
			field: "configs[retention.bytes]", msg: []string{"-2", "-1 = unlimited"}},
		{name: "create/unknown timestamp type", call: create("new", 1, map[string]string{"message.timestamp.type": "Now"}), code: codes.InvalidArgument,
			field: "configs[message.timestamp.type]", msg: []string{"CreateTime, LogAppendTime"}},
		{name: "create/unknown compression", call: create("new", 1, map[string]string{"compression.type": "brotli"}), code: codes.InvalidArgument,
			field: "configs[compression.type]", msg: []string{"brotli", "zstd"}},
		{name: "create/min.insync.replicas above replication factor", call: create("new", 1, map[string]string{"min.insync.replicas": "2"}),
			code: codes.InvalidArgument, field: "configs[min.insync.replicas]", msg: []string{"from 1 to 1", "replication factor"}},
		{name: "create/min.insync.replicas zero", call: create("new", 1, map[string]string{"min.insync.replicas": "0"}),
			code: codes.InvalidArgument, field: "configs[min.insync.replicas]", msg: []string{`"0"`}},
		{name: "create/replication above brokers", call: func(t *testing.T) *status.Status {
			_, err := b.AdminClient.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "new", Partitions: 1, ReplicationFactor: 2})
			return unary(err)
		}, code: codes.InvalidArgument, field: "replication_factor", msg: []string{"2"}},
	}
}

func alterCases(b *servertest.Broker) []badCase {
	alter := func(req *sluicev1.AlterTopicConfigsRequest) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			resp, err := b.AdminClient.AlterTopicConfigs(t.Context(), req)
			if err == nil {
				t.Fatalf("altered %v", resp)
			}
			return unary(err)
		}
	}
	set := func(k, v string) *sluicev1.AlterTopicConfigsRequest {
		return &sluicev1.AlterTopicConfigsRequest{Name: "small", SetConfigs: map[string]string{k: v}}
	}
	grow := func(name string, n int32) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			resp, err := b.AdminClient.CreatePartitions(t.Context(), &sluicev1.CreatePartitionsRequest{Name: name, Partitions: n})
			if err == nil {
				t.Fatalf("partitions created: %v", resp)
			}
			return unary(err)
		}
	}
	return []badCase{
		{name: "alter/unknown config", call: alter(set("retention.hours", "1")), code: codes.InvalidArgument,
			field: "set_configs", msg: []string{"retention.hours", "retention.ms"}},
		{name: "alter/bad value", call: alter(set("max.message.bytes", "-1")), code: codes.InvalidArgument,
			field: "set_configs[max.message.bytes]", msg: []string{"-1", "from 1 to"}},
		{name: "alter/min.insync.replicas above replication factor", call: alter(set("min.insync.replicas", "3")), code: codes.InvalidArgument,
			field: "set_configs[min.insync.replicas]", msg: []string{"from 1 to 1"}},
		{name: "alter/delete unknown", call: alter(&sluicev1.AlterTopicConfigsRequest{Name: "small", DeleteConfigs: []string{"nope"}}),
			code: codes.InvalidArgument, field: "delete_configs[0]", msg: []string{`"nope"`}},
		{name: "alter/set and delete", call: alter(&sluicev1.AlterTopicConfigsRequest{Name: "small",
			SetConfigs: map[string]string{"retention.ms": "5"}, DeleteConfigs: []string{"retention.ms"}}),
			code: codes.InvalidArgument, field: "delete_configs[0]", msg: []string{"retention.ms"}},
		{name: "alter/nothing", call: alter(&sluicev1.AlterTopicConfigsRequest{Name: "small"}), code: codes.InvalidArgument,
			field: "set_configs", msg: []string{"nothing to change"}},
		{name: "alter/unknown topic", call: alter(&sluicev1.AlterTopicConfigsRequest{Name: "nope", SetConfigs: map[string]string{"retention.ms": "5"}}),
			code: codes.NotFound, msg: []string{`"nope"`}},
		{name: "partitions/lower", call: grow("existing", 2), code: codes.InvalidArgument, field: "partitions", msg: []string{"has 3", "only be raised"}},
		{name: "partitions/equal", call: grow("existing", 3), code: codes.InvalidArgument, field: "partitions", msg: []string{"has 3", "only be raised"}},
		{name: "partitions/zero", call: grow("existing", 0), code: codes.InvalidArgument, field: "partitions", msg: []string{"got 0"}},
		{name: "partitions/unknown topic", call: grow("nope", 4), code: codes.NotFound, msg: []string{`"nope"`}},
	}
}

func produceCases(produce func(*sluicev1.ProduceRequest) func(*testing.T) *status.Status) []badCase {
	one := valueRecords("x", 1)
	p := proto.Int32
	// Over 1 MiB, and so over the record limit of any broker (an
	// in-memory one's is a little less: its entries take 1 MiB less 1 KiB).
	big := &sluicev1.Record{Value: make([]byte, 1<<20)}
	return []badCase{
		{name: "produce/empty topic", call: produce(&sluicev1.ProduceRequest{Records: one}), code: codes.InvalidArgument, field: "topic", inStream: true},
		{name: "produce/invalid topic", call: produce(&sluicev1.ProduceRequest{Topic: "a*b", Records: one}), code: codes.InvalidArgument,
			field: "topic", inStream: true, msg: []string{`"a*b"`}},
		{name: "produce/unknown topic", call: produce(&sluicev1.ProduceRequest{Topic: "nope", Records: one}), code: codes.NotFound,
			msg: []string{`"nope"`}},
		{name: "produce/unknown topic with partition", call: produce(&sluicev1.ProduceRequest{Topic: "nope", Partition: p(0), Records: one}),
			code: codes.NotFound, msg: []string{`"nope"`}},
		{name: "produce/unknown partition", call: produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(7), Records: one}),
			code: codes.NotFound, msg: []string{`"existing"`, "partition 7", "3 partitions"}},
		{name: "produce/negative partition", call: produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(-1), Records: one}),
			code: codes.InvalidArgument, field: "partition", inStream: true, msg: []string{"-1"}},
		{name: "produce/no records", call: produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(0)}),
			code: codes.InvalidArgument, field: "records", inStream: true},
		{name: "produce/record over 1 MiB", call: produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(0), Records: []*sluicev1.Record{big}}),
			code: codes.InvalidArgument, field: "records[0]", inStream: true, msg: []string{"1048580 bytes", "over the limit of", "max record size"}},
		{name: "produce/second record over 1 MiB", call: produce(&sluicev1.ProduceRequest{Topic: "existing", Records: []*sluicev1.Record{one[0], big}}),
			code: codes.InvalidArgument, field: "records[1]", inStream: true, msg: []string{"1048580 bytes", "over the limit of", "max record size"}},
		{name: "produce/record over topic max.message.bytes", call: produce(&sluicev1.ProduceRequest{Topic: "small",
			Records: []*sluicev1.Record{one[0], {Value: make([]byte, 200)}}}),
			code: codes.InvalidArgument, field: "records[1]", inStream: true, msg: []string{"100", "max.message.bytes"}},
		{name: "produce/negative timestamp", call: produce(&sluicev1.ProduceRequest{Topic: "existing",
			Records: []*sluicev1.Record{{Value: []byte("v"), TimestampMs: -5}}}),
			code: codes.InvalidArgument, field: "records[0].timestamp_ms", inStream: true, msg: []string{"-5"}},
		{name: "produce/unknown acks", call: produce(&sluicev1.ProduceRequest{Topic: "existing", Records: one, Acks: sluicev1.Acks(9)}),
			code: codes.InvalidArgument, field: "acks", inStream: true, msg: []string{"9"}},
	}
}

func fetchCases(b *servertest.Broker) []badCase {
	fetch := func(req *sluicev1.FetchRequest) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			recs, err := b.FetchAllErr(t, req)
			if err == nil {
				t.Fatalf("fetch succeeded with %d partitions of records", len(recs))
			}
			if len(recs) > 0 {
				t.Errorf("records before the error: %v", recs)
			}
			return unary(err)
		}
	}
	part := func(p int32, start *sluicev1.StartPosition) *sluicev1.FetchRequest {
		return &sluicev1.FetchRequest{Topic: "existing", Partitions: []*sluicev1.FetchPartition{{Partition: p, Start: start}}}
	}
	return []badCase{
		{name: "fetch/empty topic", call: fetch(&sluicev1.FetchRequest{}), code: codes.InvalidArgument, field: "topic"},
		{name: "fetch/invalid topic", call: fetch(&sluicev1.FetchRequest{Topic: ".."}), code: codes.InvalidArgument, field: "topic"},
		{name: "fetch/unknown topic", call: fetch(&sluicev1.FetchRequest{Topic: "nope"}), code: codes.NotFound, msg: []string{`"nope"`}},
		{name: "fetch/unknown partition", call: fetch(part(7, nil)), code: codes.NotFound, msg: []string{`"existing"`, "partition 7"}},
		{name: "fetch/negative partition", call: fetch(part(-1, nil)), code: codes.InvalidArgument, field: "partitions", msg: []string{"-1"}},
		{name: "fetch/negative offset", call: fetch(part(0, atOffset(-1))), code: codes.InvalidArgument,
			field: "partitions[0].start.offset", msg: []string{"-1"}},
		{name: "fetch/negative offset for all", call: fetch(&sluicev1.FetchRequest{Topic: "existing", StartAll: atOffset(-2)}),
			code: codes.InvalidArgument, field: "start_all.offset", msg: []string{"-2"}},
		{name: "fetch/offset past high watermark", call: fetch(part(0, atOffset(10))), code: codes.OutOfRange,
			msg: []string{"10"}, oor: &sluicev1.OffsetOutOfRangeDetail{RequestedOffset: 10, LogStartOffset: 0, HighWatermark: 3}},
		{name: "fetch/offset past empty partition", call: fetch(part(2, atOffset(1))), code: codes.OutOfRange,
			msg: []string{"1"}, oor: &sluicev1.OffsetOutOfRangeDetail{RequestedOffset: 1, LogStartOffset: 0, HighWatermark: 0}},
		{name: "fetch/partition listed twice", call: fetch(&sluicev1.FetchRequest{Topic: "existing",
			Partitions: []*sluicev1.FetchPartition{{Partition: 1}, {Partition: 1}}}), code: codes.InvalidArgument, field: "partitions"},
		{name: "fetch/negative max_records", call: fetch(&sluicev1.FetchRequest{Topic: "existing", MaxRecords: -1}),
			code: codes.InvalidArgument, field: "max_records"},
		{name: "fetch/max_bytes over limit", call: fetch(&sluicev1.FetchRequest{Topic: "existing", MaxBytes: 1 << 30}),
			code: codes.InvalidArgument, field: "max_bytes"},
		{name: "fetch/negative max_total_records", call: fetch(&sluicev1.FetchRequest{Topic: "existing", MaxTotalRecords: -1}),
			code: codes.InvalidArgument, field: "max_total_records"},
	}
}

// topicLookupCases are the admin calls that name an existing topic.
func topicLookupCases(b *servertest.Broker) []badCase {
	admin := b.AdminClient
	describe := func(name string) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			_, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: name})
			return unary(err)
		}
	}
	del := func(name string) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			_, err := admin.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: name})
			return unary(err)
		}
	}
	latest := &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}
	listOffsets := func(req *sluicev1.ListOffsetsRequest) func(t *testing.T) *status.Status {
		return func(t *testing.T) *status.Status {
			_, err := admin.ListOffsets(t.Context(), req)
			return unary(err)
		}
	}
	return []badCase{
		{name: "describe/unknown topic", call: describe("nope"), code: codes.NotFound, msg: []string{`"nope"`}},
		{name: "describe/empty name", call: describe(""), code: codes.InvalidArgument, field: "name"},
		{name: "describe/250 characters", call: describe(strings.Repeat("y", 250)), code: codes.InvalidArgument, field: "name", msg: []string{"249"}},
		{name: "delete/unknown topic", call: del("nope"), code: codes.NotFound, msg: []string{`"nope"`}},
		{name: "delete/invalid name", call: del("a b"), code: codes.InvalidArgument, field: "name"},
		{name: "list offsets/unknown topic", call: listOffsets(&sluicev1.ListOffsetsRequest{Topic: "nope", Spec: latest}),
			code: codes.NotFound, msg: []string{`"nope"`}},
		{name: "list offsets/unknown partition", call: listOffsets(&sluicev1.ListOffsetsRequest{Topic: "existing", Partitions: []int32{7}, Spec: latest}),
			code: codes.NotFound, msg: []string{"partition 7"}},
		{name: "list offsets/negative partition", call: listOffsets(&sluicev1.ListOffsetsRequest{Topic: "existing", Partitions: []int32{-1}, Spec: latest}),
			code: codes.InvalidArgument, field: "partitions"},
		{name: "list offsets/no spec", call: listOffsets(&sluicev1.ListOffsetsRequest{Topic: "existing"}),
			code: codes.InvalidArgument, field: "spec"},
	}
}

// TestRecordLimitOfBroker: a broker configured with a smaller record limit
// refuses a record over it, naming the limit, and accepts one under it.
func TestRecordLimitOfBroker(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Limits.MaxRecordBytes = 1000 }))
	b.CreateTopic(t, "t", 1)
	resp := b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{{Value: make([]byte, 1001)}}})
	st := status.New(codes.Code(resp.GetError().GetCode()), resp.GetError().GetMessage())
	checkFailure(t, st, badCase{code: codes.InvalidArgument, field: "records[0]", inStream: true, msg: []string{"1000"}})
	if hw := b.HighWatermarks(t, "t"); hw[0] != 0 {
		t.Fatalf("high watermark %d after a refused record", hw[0])
	}
	if got := b.Produce(t, "t", 0, &sluicev1.Record{Value: make([]byte, 900)}); got[0] != 0 {
		t.Fatalf("record under the limit got offset %d, want 0", got[0])
	}
}

// TestTopicRecordLimitAboveBrokerDefault: MaxRecordBytes is the default of
// max.message.bytes, so a topic that sets a larger limit accepts records
// between the two, as Kafka's topic-level override does.
func TestTopicRecordLimitAboveBrokerDefault(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Limits.MaxRecordBytes = 1000 }))
	b.CreateTopic(t, "big", 1, "max.message.bytes", "5000")
	resp := b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "big", Records: []*sluicev1.Record{{Value: make([]byte, 3000)}}})
	if resp.GetError() != nil {
		t.Fatalf("a 3000-byte record on a topic with max.message.bytes=5000 was refused: %v", resp.GetError())
	}
	resp = b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "big", Records: []*sluicev1.Record{{Value: make([]byte, 6000)}}})
	if resp.GetError().GetCode() != uint32(codes.InvalidArgument) {
		t.Fatalf("a 6000-byte record on a topic with max.message.bytes=5000: %v", resp)
	}
}

// TestOutOfRangeDetailNamesPartition: a client reading several partitions
// learns from the OffsetOutOfRangeDetail which one to reset.
func TestOutOfRangeDetailNamesPartition(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 3)
	b.Produce(t, "t", 2, valueRecords("v", 4)...)
	_, err := b.FetchAllErr(t, &sluicev1.FetchRequest{Topic: "t", Partitions: []*sluicev1.FetchPartition{
		{Partition: 0, Start: atOffset(0)}, {Partition: 2, Start: atOffset(9)},
	}})
	st := checkStatus(t, err, codes.OutOfRange)
	want := &sluicev1.OffsetOutOfRangeDetail{Topic: "t", Partition: 2, RequestedOffset: 9, LogStartOffset: 0, HighWatermark: 4}
	for _, d := range st.Details() {
		if got, ok := d.(*sluicev1.OffsetOutOfRangeDetail); ok {
			if !proto.Equal(got, want) {
				t.Fatalf("OffsetOutOfRangeDetail %v, want %v", got, want)
			}
			return
		}
	}
	t.Fatalf("no OffsetOutOfRangeDetail in %v", st.Details())
}
