package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/servertest"
)

// edgeCase is one request of the bad-input suite and the code a client
// gets for it; codes.OK where the input is odd but valid (an emoji group
// id, a timestamp past every record).
type edgeCase struct {
	name string
	// call makes the request and returns its error (nil if it was served).
	call func(t *testing.T) error
	want codes.Code
}

// The names the suite sends wherever a request takes a string: control
// characters, unicode that reorders or is outside the BMP, and sizes far
// over every name limit.
var oddNames = []struct{ label, s string }{
	{"NUL", "a\x00b"},
	{"newline", "a\nb"},
	{"tab", "a\tb"},
	{"DEL", "a\x7fb"},
	{"RTL override", "\u202ecba"},
	{"emoji", "t\U0001F525"},
	{"10 KB", strings.Repeat("n", 10<<10)},
	{"1 MB", strings.Repeat("n", 1<<20)},
}

// bigName reports whether a name of oddNames is over every length limit.
func bigName(s string) bool { return len(s) > 1000 }

// TestBadInputSuite sends, to a real on-disk broker, odd names in every
// string field, extreme numbers in every number field, wrong counts, the
// requests of issue 10's findings, and the empty request of every RPC of
// the public API. Each gets the code its case names (never Internal,
// Unknown, or a dropped connection); after each the broker still answers
// and every record stored before reads back byte for byte.
func TestBadInputSuite(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "existing", 3)
	b.Produce(t, "existing", 0, valueRecords("a", 2)...)
	b.Produce(t, "existing", 1, &sluicev1.Record{Key: []byte("k\x00\xff"), Value: []byte("\x00\x01\xfe\xff"),
		TimestampMs: 1, Headers: []*sluicev1.Header{{Key: "h\U0001F525", Value: []byte{0}}}})
	// sink takes the requests that may be stored, canary the valid
	// produce that follows each case: both may only grow. bulk takes one
	// request of 100,000 records, too many to read back after each case.
	b.CreateTopic(t, "sink", 1)
	b.CreateTopic(t, "canary", 1)
	b.CreateTopic(t, "bulk", 1)
	// conf takes configs, and may only grow too.
	b.CreateTopic(t, "conf", 1)
	growing := []string{"sink", "canary", "conf"}

	s := &suite{b: b, ps: openProduce(t, b)}
	var cases []edgeCase
	cases = append(cases, s.nameCases()...)
	cases = append(cases, s.numberCases()...)
	cases = append(cases, s.countCases()...)
	cases = append(cases, s.configNumberCases()...)
	cases = append(cases, s.findingCases()...)
	cases = append(cases, s.emptyRequestCases()...)
	cases = append(cases, s.quotaCases()...)
	checkEveryRPCHasEmptyCase(t, cases)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := captureLogs(t, b, "bulk")
			err := tc.call(t)
			got := status.Code(err)
			if got != tc.want {
				t.Errorf("code %v, want %v (%v)", got, tc.want, short(err))
			}
			if got == codes.Internal || got == codes.Unknown || got == codes.Unavailable {
				t.Errorf("answered %v: %v", got, short(err))
			}
			// A message names the value it refuses, but not a 1 MB one in full.
			if m := status.Convert(err).Message(); len(m) > 4096 {
				t.Errorf("the error message is %d bytes: %.200s...", len(m), m)
			}
			s.checkUp(t)
			after := captureLogs(t, b, "bulk")
			checkLogsUnchanged(t, without(before, growing), without(after, growing))
			checkLogsOnlyGrew(t, before, after, growing)
		})
	}
}

// without is s without the records of the topics named (which are still
// listed).
func without(s logState, names []string) logState {
	out := logState{topics: s.topics, hw: maps.Clone(s.hw), recs: maps.Clone(s.recs)}
	for _, n := range names {
		delete(out.hw, n)
		delete(out.recs, n)
	}
	return out
}

// checkLogsOnlyGrew checks that each partition of the topics named still
// holds, byte for byte, the records it held before.
func checkLogsOnlyGrew(t *testing.T, before, after logState, names []string) {
	t.Helper()
	for _, n := range names {
		for p, was := range before.recs[n] {
			now := after.recs[n][p]
			if len(now) < len(was) {
				t.Errorf("%s/%d: %d records, had %d", n, p, len(now), len(was))
				continue
			}
			for i := range was {
				if !proto.Equal(now[i], was[i]) {
					t.Errorf("%s/%d: record %d changed from %v to %v", n, p, i, was[i], now[i])
				}
			}
		}
	}
}

// checkEveryRPCHasEmptyCase fails the test if an RPC of the public API
// has no "empty/<method>" case, so that a new RPC gets one.
func checkEveryRPCHasEmptyCase(t *testing.T, cases []edgeCase) {
	t.Helper()
	have := map[string]bool{}
	for _, c := range cases {
		have[c.name] = true
	}
	for _, fd := range []protoreflect.FileDescriptor{sluicev1.File_sluice_v1_admin_proto, sluicev1.File_sluice_v1_fetch_proto,
		sluicev1.File_sluice_v1_group_proto, sluicev1.File_sluice_v1_produce_proto, sluicev1.File_sluice_v1_record_proto,
		sluicev1.File_sluice_v1_auth_proto} {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				if m := sd.Methods().Get(j).Name(); !have["empty/"+string(m)] {
					t.Errorf("%s.%s has no empty/%s case", sd.FullName(), m, m)
				}
			}
		}
	}
}

// short keeps a failure message readable when a case echoes a 1 MB name.
func short(err error) string {
	if err == nil {
		return "<nil>"
	}
	m := err.Error()
	if len(m) > 300 {
		return fmt.Sprintf("%s... (%d bytes)", m[:300], len(m))
	}
	return m
}

type suite struct {
	b  *servertest.Broker
	ps *produceStream
}

// checkUp fails the test unless the broker answers a cheap request.
func (s *suite) checkUp(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := s.b.AdminClient.DescribeCluster(ctx, &sluicev1.DescribeClusterRequest{}); err != nil {
		t.Fatalf("broker does not answer after the case: %v", err)
	}
}

// produce sends req on the suite's stream and returns the error of the
// request or of its first failed partition; a valid request to canary
// must then succeed on the same stream.
func (s *suite) produce(req *sluicev1.ProduceRequest) func(t *testing.T) error {
	return func(t *testing.T) error {
		resp := s.ps.roundTrip(t, req)
		var err error
		if e := resp.GetError(); e != nil {
			err = status.Error(codes.Code(e.GetCode()), e.GetMessage())
		}
		for _, r := range resp.GetResults() {
			if e := r.GetError(); e != nil && err == nil {
				err = status.Error(codes.Code(e.GetCode()), e.GetMessage())
			}
		}
		ok := s.ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "canary", Records: valueRecords("ok", 1)})
		if ok.GetError() != nil || len(ok.GetResults()) != 1 || ok.GetResults()[0].GetError() != nil {
			t.Fatalf("valid request after the case: %v", ok)
		}
		return err
	}
}

// fetch runs a bounded fetch to its end.
func (s *suite) fetch(req *sluicev1.FetchRequest) func(t *testing.T) error {
	return func(t *testing.T) error {
		_, err := s.b.FetchAllErr(t, req)
		return err
	}
}

// follow opens a follow fetch that must fail before it sends anything.
func (s *suite) follow(req *sluicev1.FetchRequest) func(t *testing.T) error {
	return func(t *testing.T) error {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		stream, err := s.b.FetchClient.Fetch(ctx, req)
		if err != nil {
			return err
		}
		resp, err := stream.Recv()
		if err == nil {
			t.Fatalf("follow fetch answered %v", resp)
		}
		return err
	}
}

// session opens a member session, sends msgs and returns the error of the
// first answer (nil if the first answer is an assignment).
func (s *suite) session(msgs ...*sluicev1.MemberSessionRequest) func(t *testing.T) error {
	return func(t *testing.T) error {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		stream, err := s.b.GroupClient.MemberSession(ctx)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			if err := stream.CloseSend(); err != nil {
				return err
			}
		}
		for _, m := range msgs {
			if err := stream.Send(m); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
		}
		_, err = stream.Recv()
		return err
	}
}

// joined joins group, waits for the assignment, sends msgs on the same
// session and returns the error that ends it.
func (s *suite) joined(group string, msgs ...*sluicev1.MemberSessionRequest) func(t *testing.T) error {
	return func(t *testing.T) error {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		stream, err := s.b.GroupClient.MemberSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(joinReq(&sluicev1.JoinGroup{GroupId: group, Topics: []string{"existing"}})); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("join: %v", err)
		}
		for _, m := range msgs {
			if err := stream.Send(m); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
		}
		for {
			if _, err := stream.Recv(); err != nil {
				return err
			}
		}
	}
}

func joinReq(j *sluicev1.JoinGroup) *sluicev1.MemberSessionRequest {
	return &sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Join{Join: j}}
}

func commitOne(group, member, topic string, p int32, off int64) *sluicev1.CommitOffsetsRequest {
	return &sluicev1.CommitOffsetsRequest{GroupId: group, MemberId: member,
		Offsets: []*sluicev1.CommittedOffset{{Topic: topic, Partition: p, Offset: off}}}
}

// unaryCall adapts a unary RPC to edgeCase.call.
func unaryCall[Req, Resp any](rpc func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req) func(t *testing.T) error {
	return func(t *testing.T) error {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		_, err := rpc(ctx, req)
		return err
	}
}

// nameCases put each of oddNames in every string field: topics, group,
// member and instance ids, config keys and values.
func (s *suite) nameCases() []edgeCase {
	a, g := s.b.AdminClient, s.b.GroupClient
	latest := &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}
	var out []edgeCase
	for _, n := range oddNames {
		name := n.s
		c := func(what string, call func(t *testing.T) error, want codes.Code) {
			out = append(out, edgeCase{name: "name " + n.label + "/" + what, call: call, want: want})
		}
		bad := codes.InvalidArgument
		// Group, member and instance ids are the client's to choose, as in
		// Kafka: any string within the length limit is one.
		// The commit below creates the group that describe then finds; a
		// join with a member id the coordinator does not know gets a new
		// one (a member whose session expired rejoins so).
		id := codes.OK
		unknownGroup := codes.NotFound
		if bigName(name) {
			id, unknownGroup = bad, bad
		}
		c("create topic", unaryCall(a.CreateTopic, &sluicev1.CreateTopicRequest{Name: name, Partitions: 1}), bad)
		c("describe topic", unaryCall(a.DescribeTopic, &sluicev1.DescribeTopicRequest{Name: name}), bad)
		c("delete topic", unaryCall(a.DeleteTopic, &sluicev1.DeleteTopicRequest{Name: name}), bad)
		c("alter topic", unaryCall(a.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{Name: name,
			SetConfigs: map[string]string{"retention.ms": "1000"}}), bad)
		c("create partitions", unaryCall(a.CreatePartitions, &sluicev1.CreatePartitionsRequest{Name: name, Partitions: 4}), bad)
		c("create user", unaryCall(a.CreateUser, &sluicev1.CreateUserRequest{Name: name, Password: "pw"}), bad)
		c("list offsets", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: name, Spec: latest}), bad)
		c("metadata", unaryCall(a.GetMetadata, &sluicev1.GetMetadataRequest{Topics: []string{name}}), bad)
		c("fetch", s.fetch(&sluicev1.FetchRequest{Topic: name}), bad)
		c("produce", s.produce(&sluicev1.ProduceRequest{Topic: name, Records: valueRecords("x", 1)}), bad)
		c("commit topic", unaryCall(g.CommitOffsets, commitOne("g", "", name, 0, 1)), bad)
		c("fetch offsets topic", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{GroupId: "g",
			Partitions: []*sluicev1.TopicPartitions{{Topic: name, Partitions: []int32{0}}}}), bad)
		c("reset offsets topic", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{GroupId: "g", Topic: name,
			To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}}), bad)
		c("join topic", s.session(joinReq(&sluicev1.JoinGroup{GroupId: "g", Topics: []string{name}})), bad)
		c("config key", unaryCall(a.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{Name: "sink",
			SetConfigs: map[string]string{name: "1"}}), bad)
		c("config value", unaryCall(a.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{Name: "sink",
			SetConfigs: map[string]string{"retention.ms": name}}), bad)
		c("create config value", unaryCall(a.CreateTopic, &sluicev1.CreateTopicRequest{Name: "new", Partitions: 1,
			Configs: map[string]string{"cleanup.policy": name}}), bad)
		c("delete config key", unaryCall(a.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{Name: "sink",
			DeleteConfigs: []string{name}}), bad)

		c("commit group", unaryCall(g.CommitOffsets, commitOne(name, "", "existing", 0, 1)), id)
		c("fetch offsets group", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{GroupId: name}), id)
		c("describe group", unaryCall(g.DescribeGroup, &sluicev1.DescribeGroupRequest{GroupId: name}), id)
		c("delete group", unaryCall(g.DeleteGroup, &sluicev1.DeleteGroupRequest{GroupId: "never" + name}), unknownGroup)
		c("reset offsets group", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{GroupId: name, Topic: "existing",
			To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 1}}), id)
		c("join group", s.session(joinReq(&sluicev1.JoinGroup{GroupId: name, Topics: []string{"existing"}})), id)
		c("join instance id", s.session(joinReq(&sluicev1.JoinGroup{GroupId: "gi", InstanceId: name, Topics: []string{"existing"}})), id)
		c("commit member id", unaryCall(g.CommitOffsets, commitOne("gm", name, "existing", 0, 1)), memberCode(name))
		c("join member id", s.session(joinReq(&sluicev1.JoinGroup{GroupId: "gj", MemberId: name, Topics: []string{"existing"}})), id)
		c("header key", s.produce(&sluicev1.ProduceRequest{Topic: "sink", Records: []*sluicev1.Record{{Value: []byte("v"),
			Headers: []*sluicev1.Header{{Key: name, Value: []byte(name)}}}}}), recordCode(name))
		c("record key", s.produce(&sluicev1.ProduceRequest{Topic: "sink", Records: []*sluicev1.Record{{Key: []byte(name)}}}), recordCode(name))
		c("join assignor", s.session(joinReq(&sluicev1.JoinGroup{GroupId: "ga", Assignor: name, Topics: []string{"existing"}})), bad)
		// ACL names and principals are any string within their limits,
		// as the group ids they may name are.
		acl := func(resource, principal, host string) *sluicev1.AclBinding {
			return &sluicev1.AclBinding{ResourceType: sluicev1.AclResourceType_ACL_RESOURCE_TYPE_GROUP, ResourceName: resource,
				PatternType: sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL, Principal: principal, Host: host,
				Operation: sluicev1.AclOperation_ACL_OPERATION_READ, Permission: sluicev1.AclPermission_ACL_PERMISSION_ALLOW}
		}
		c("acl resource name", unaryCall(a.CreateAcls, &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{acl(name, "User:u", "*")}}), id)
		c("acl principal", unaryCall(a.CreateAcls, &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{acl("g", "User:"+name, "*")}}), id)
		c("acl host", unaryCall(a.CreateAcls, &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{acl("g", "User:u", name)}}), id)
		c("acl filter", unaryCall(a.ListAcls, &sluicev1.ListAclsRequest{Filter: &sluicev1.AclFilter{ResourceName: name, Principal: "User:" + name}}), id)
		c("acl delete filter", unaryCall(a.DeleteAcls, &sluicev1.DeleteAclsRequest{Filters: []*sluicev1.AclFilter{{ResourceName: name}}}), id)
	}
	return out
}

// issued produces with a producer id the cluster issued, its epoch moved
// by dEpoch, from sequence seq.
func (s *suite) issued(dEpoch, seq int32) func(t *testing.T) error {
	return func(t *testing.T) error {
		id, err := s.b.ProduceClient.InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
		if err != nil {
			t.Fatal(err)
		}
		epoch := id.GetProducerEpoch() + dEpoch
		if dEpoch == math.MinInt32 {
			epoch = math.MinInt32
		}
		return s.produce(&sluicev1.ProduceRequest{Topic: "sink", Partition: proto.Int32(0), Records: valueRecords("i", 1),
			ProducerId: id.GetProducerId(), ProducerEpoch: epoch, BaseSequence: seq})(t)
	}
}

// resetClamped resets group's offsets of existing past its log end; as
// Kafka's tool does, each is set to its partition's high watermark.
func (s *suite) resetClamped(group string, to int64) func(t *testing.T) error {
	return func(t *testing.T) error {
		resp, err := s.b.GroupClient.ResetOffsets(t.Context(), &sluicev1.ResetOffsetsRequest{GroupId: group, Topic: "existing",
			To: &sluicev1.ResetOffsetsRequest_Offset{Offset: to}})
		if err != nil {
			return err
		}
		hw := s.b.HighWatermarks(t, "existing")
		for _, o := range resp.GetOffsets() {
			if o.GetOffset() != hw[o.GetPartition()] {
				t.Errorf("partition %d reset to %d, want its high watermark %d", o.GetPartition(), o.GetOffset(), hw[o.GetPartition()])
			}
		}
		if len(resp.GetOffsets()) != len(hw) {
			t.Errorf("%d offsets reset, want %d", len(resp.GetOffsets()), len(hw))
		}
		return nil
	}
}

// recordCode is the answer to a record carrying name: any bytes are a
// record's own, within the record limit (1 MiB less room for the rest).
func recordCode(name string) codes.Code {
	if len(name) >= 1<<20 {
		return codes.InvalidArgument
	}
	return codes.OK
}

// memberCode is the answer to a member id the coordinator never issued:
// refused as unknown, or as too long.
func memberCode(name string) codes.Code {
	if bigName(name) {
		return codes.InvalidArgument
	}
	return codes.FailedPrecondition
}

// numberCases put negative and extreme values in every number field.
func (s *suite) numberCases() []edgeCase {
	a, g := s.b.AdminClient, s.b.GroupClient
	bad, nf, oor, ok := codes.InvalidArgument, codes.NotFound, codes.OutOfRange, codes.OK
	p := proto.Int32
	one := valueRecords("x", 1)
	create := func(parts, rf int32) func(t *testing.T) error {
		return unaryCall(a.CreateTopic, &sluicev1.CreateTopicRequest{Name: "new", Partitions: parts, ReplicationFactor: rf})
	}
	grow := func(n int32) func(t *testing.T) error {
		return unaryCall(a.CreatePartitions, &sluicev1.CreatePartitionsRequest{Name: "existing", Partitions: n})
	}
	from := func(part int32, pos *sluicev1.StartPosition) func(t *testing.T) error {
		return s.fetch(&sluicev1.FetchRequest{Topic: "existing", Partitions: []*sluicev1.FetchPartition{{Partition: part, Start: pos}}})
	}
	atTime := func(ms int64) *sluicev1.StartPosition {
		return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_TimestampMs{TimestampMs: ms}}
	}
	listAt := func(ms int64) func(t *testing.T) error {
		return unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "existing", Spec: &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: ms}})
	}
	stamped := func(ms int64) func(t *testing.T) error {
		return s.produce(&sluicev1.ProduceRequest{Topic: "existing", Records: []*sluicev1.Record{{Value: []byte("v"), TimestampMs: ms}}})
	}
	idem := func(id int64, epoch, seq int32) func(t *testing.T) error {
		return s.produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(0), Records: one,
			ProducerId: id, ProducerEpoch: epoch, BaseSequence: seq})
	}
	reset := func(to *sluicev1.ResetOffsetsRequest) func(t *testing.T) error {
		to.GroupId, to.Topic = "gr", "existing"
		return unaryCall(g.ResetOffsets, to)
	}
	session := func(ms int32) func(t *testing.T) error {
		return s.session(joinReq(&sluicev1.JoinGroup{GroupId: "gs", Topics: []string{"existing"}, SessionTimeoutMs: ms}))
	}
	return []edgeCase{
		{"number/create partitions max int32", create(math.MaxInt32, 0), bad},
		{"number/create partitions min int32", create(math.MinInt32, 0), bad},
		{"number/create partitions 10001", create(10001, 0), bad},
		{"number/replication factor max int32", create(1, math.MaxInt32), bad},
		{"number/replication factor -1", create(1, -1), bad},
		{"number/replication factor min int32", create(1, math.MinInt32), bad},
		{"number/grow partitions max int32", grow(math.MaxInt32), bad},
		{"number/grow partitions -1", grow(-1), bad},

		{"number/fetch offset max int64", from(0, atOffset(math.MaxInt64)), oor},
		{"number/fetch offset min int64", from(0, atOffset(math.MinInt64)), bad},
		{"number/fetch all from max int64", s.fetch(&sluicev1.FetchRequest{Topic: "existing", StartAll: atOffset(math.MaxInt64)}), oor},
		{"number/fetch timestamp max int64", from(0, atTime(math.MaxInt64)), ok},
		{"number/fetch timestamp min int64", from(0, atTime(math.MinInt64)), bad},
		{"number/fetch timestamp -1", from(0, atTime(-1)), bad},
		{"number/fetch boundary unknown", from(0, atBoundary(sluicev1.Boundary(99))), bad},
		{"number/fetch partition max int32", from(math.MaxInt32, nil), nf},
		{"number/fetch partition min int32", from(math.MinInt32, nil), bad},
		// max_records over the broker's cap is capped.
		{"number/fetch max_records max int32", s.fetch(&sluicev1.FetchRequest{Topic: "existing", MaxRecords: math.MaxInt32}), ok},
		{"number/fetch max_records min int32", s.fetch(&sluicev1.FetchRequest{Topic: "existing", MaxRecords: math.MinInt32}), bad},
		{"number/fetch max_bytes -1", s.fetch(&sluicev1.FetchRequest{Topic: "existing", MaxBytes: -1}), bad},
		{"number/fetch max_bytes max int32", s.fetch(&sluicev1.FetchRequest{Topic: "existing", MaxBytes: math.MaxInt32}), bad},
		{"number/fetch max_total_records max int64", s.fetch(&sluicev1.FetchRequest{Topic: "existing", MaxTotalRecords: math.MaxInt64}), ok},
		{"number/fetch max_total_records min int64", s.fetch(&sluicev1.FetchRequest{Topic: "existing", MaxTotalRecords: math.MinInt64}), bad},
		{"number/fetch unknown compression", s.fetch(&sluicev1.FetchRequest{Topic: "existing",
			AcceptCompression: []sluicev1.Compression{sluicev1.Compression(-7)}}), bad},

		{"number/list offsets timestamp max int64", listAt(math.MaxInt64), ok},
		{"number/list offsets timestamp min int64", listAt(math.MinInt64), bad},
		{"number/list offsets timestamp -1", listAt(-1), bad},
		{"number/list offsets timestamp -2", listAt(-2), bad},
		{"number/list offsets boundary unknown", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "existing",
			Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary(-1)}}), bad},
		{"number/list offsets partition max int32", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "existing",
			Partitions: []int32{math.MaxInt32}, Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}}), nf},

		{"number/produce partition max int32", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(math.MaxInt32), Records: one}), nf},
		{"number/produce partition min int32", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(math.MinInt32), Records: one}), bad},
		{"number/produce timestamp max int64", stamped(math.MaxInt64), bad},
		{"number/produce timestamp min int64", stamped(math.MinInt64), bad},
		{"number/produce timestamp -1", stamped(-1), bad},
		// The broker assigns offsets; a record's own is ignored.
		{"number/produce record offset max int64", s.produce(&sluicev1.ProduceRequest{Topic: "sink",
			Records: []*sluicev1.Record{{Offset: math.MaxInt64, Value: []byte("v")}}}), ok},
		{"number/acks none to a partition that does not exist", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: p(7),
			Records: one, Acks: sluicev1.Acks_ACKS_NONE}), nf},
		{"number/produce acks min int32", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Records: one, Acks: sluicev1.Acks(math.MinInt32)}), bad},
		{"number/producer id never issued", idem(12345, 0, 0), codes.FailedPrecondition},
		{"number/producer id max int64", idem(math.MaxInt64, 0, 0), codes.FailedPrecondition},
		{"number/producer id -1", idem(-1, 0, 0), bad},
		{"number/producer id min int64", idem(math.MinInt64, math.MaxInt32, math.MaxInt32), bad},
		{"number/producer epoch max int32", idem(12345, math.MaxInt32, 0), codes.FailedPrecondition},
		{"number/producer epoch -1", idem(12345, -1, 0), bad},
		{"number/producer sequence -1", idem(12345, 0, -1), bad},
		{"number/producer sequence max int32", idem(12345, 0, math.MaxInt32), codes.FailedPrecondition},
		// A partition takes an issued producer's first batch, or one of a
		// newer epoch, at any sequence (docs/architecture.md).
		{"number/issued producer, future epoch", s.issued(1, 0), ok},
		{"number/issued producer, first sequence max int32", s.issued(0, math.MaxInt32), ok},
		{"number/issued producer, first sequence -1", s.issued(0, -1), bad},
		{"number/issued producer, epoch min int32", s.issued(math.MinInt32, 0), bad},
		{"number/batch base offset max int64", func(t *testing.T) error {
			bt, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_ZSTD, valueRecords("o", 2))
			if err != nil {
				t.Fatal(err)
			}
			bt.BaseOffset = math.MaxInt64
			return s.produce(&sluicev1.ProduceRequest{Topic: "sink", Batch: bt})(t)
		}, ok},

		// Kafka stores any offset a member commits; one past the log end
		// is the reset policy's when the group next reads.
		{"number/commit offset max int64", unaryCall(g.CommitOffsets, commitOne("gc", "", "existing", 0, math.MaxInt64)), ok},
		{"number/commit offset -1", unaryCall(g.CommitOffsets, commitOne("gc", "", "existing", 0, -1)), bad},
		{"number/commit partition max int32", unaryCall(g.CommitOffsets, commitOne("gc", "", "existing", math.MaxInt32, 0)), nf},
		{"number/commit partition min int32", unaryCall(g.CommitOffsets, commitOne("gc", "", "existing", math.MinInt32, 0)), bad},
		{"number/commit generation max int64", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{GroupId: "gc", MemberId: "m",
			Generation: math.MaxInt64, Offsets: []*sluicev1.CommittedOffset{{Topic: "existing", Offset: 1}}}), codes.FailedPrecondition},
		{"number/commit generation min int64", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{GroupId: "gc", MemberId: "m",
			Generation: math.MinInt64, Offsets: []*sluicev1.CommittedOffset{{Topic: "existing", Offset: 1}}}), codes.FailedPrecondition},
		{"number/fetch offsets partition max int32", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{GroupId: "gc",
			Partitions: []*sluicev1.TopicPartitions{{Topic: "existing", Partitions: []int32{math.MaxInt32}}}}), ok},
		{"number/fetch offsets partition min int32", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{GroupId: "gc",
			Partitions: []*sluicev1.TopicPartitions{{Topic: "existing", Partitions: []int32{math.MinInt32}}}}), bad},
		{"number/reset offset max int64", s.resetClamped("gr", math.MaxInt64), ok},
		{"number/reset offset min int64", reset(&sluicev1.ResetOffsetsRequest{To: &sluicev1.ResetOffsetsRequest_Offset{Offset: math.MinInt64}}), bad},
		{"number/reset timestamp max int64", reset(&sluicev1.ResetOffsetsRequest{To: &sluicev1.ResetOffsetsRequest_TimestampMs{TimestampMs: math.MaxInt64}}), ok},
		{"number/reset timestamp min int64", reset(&sluicev1.ResetOffsetsRequest{To: &sluicev1.ResetOffsetsRequest_TimestampMs{TimestampMs: math.MinInt64}}), bad},
		{"number/reset partition max int32", reset(&sluicev1.ResetOffsetsRequest{Partitions: []int32{math.MaxInt32},
			To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}}), bad},
		{"number/reset partition -1", reset(&sluicev1.ResetOffsetsRequest{Partitions: []int32{-1},
			To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}}), bad},
		{"number/reset boundary unknown", reset(&sluicev1.ResetOffsetsRequest{To: &sluicev1.ResetOffsetsRequest_Boundary{Boundary: 99}}), bad},
		{"number/session timeout max int32", session(math.MaxInt32), bad},
		{"number/session timeout min int32", session(math.MinInt32), bad},
		{"number/session timeout -1", session(-1), bad},
	}
}

// configNumberCases set every integer topic config to numbers at and past
// the ends of int64, and to numbers written as Go's parser does not read
// them. The value is the config's to bound: retention up to MaxInt64 is
// Kafka's "forever".
func (s *suite) configNumberCases() []edgeCase {
	bad, ok := codes.InvalidArgument, codes.OK
	set := func(k, v string) func(t *testing.T) error {
		return unaryCall(s.b.AdminClient.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{Name: "conf", SetConfigs: map[string]string{k: v}})
	}
	var out []edgeCase
	for _, k := range []string{"retention.ms", "retention.bytes", "message.timestamp.before.max.ms", "message.timestamp.after.max.ms"} {
		out = append(out,
			edgeCase{"config/" + k + " max int64", set(k, "9223372036854775807"), ok},
			edgeCase{"config/" + k + " past max int64", set(k, "9223372036854775808"), bad},
			edgeCase{"config/" + k + " min int64", set(k, "-9223372036854775808"), bad},
			edgeCase{"config/" + k + " exponent", set(k, "1e3"), bad},
			edgeCase{"config/" + k + " hex", set(k, "0x10"), bad},
			edgeCase{"config/" + k + " leading space", set(k, " 1"), bad},
			edgeCase{"config/" + k + " arabic digit", set(k, "١"), bad},
		)
	}
	return append(out,
		edgeCase{"config/max.message.bytes past max int32", set("max.message.bytes", "2147483648"), bad},
		edgeCase{"config/max.message.bytes max int64", set("max.message.bytes", "9223372036854775807"), bad},
		edgeCase{"config/min.insync.replicas past max int32", set("min.insync.replicas", "2147483648"), bad},
		edgeCase{"config/min.insync.replicas -1", set("min.insync.replicas", "-1"), bad},
		// A record stamped at 1 ms is within a bound of MaxInt64 ms.
		edgeCase{"config/produce under before.max.ms of max int64", func(t *testing.T) error {
			if err := set("message.timestamp.before.max.ms", "9223372036854775807")(t); err != nil {
				t.Fatal(err)
			}
			return s.produce(&sluicev1.ProduceRequest{Topic: "conf", Records: []*sluicev1.Record{{Value: []byte("v"), TimestampMs: 1}}})(t)
		}, ok},
	)
}

// countCases are requests whose counts disagree with what they carry, or
// are far over any sane size.
func (s *suite) countCases() []edgeCase {
	a, g := s.b.AdminClient, s.b.GroupClient
	bad := codes.InvalidArgument
	batch := func(count int32) func(t *testing.T) error {
		return func(t *testing.T) error {
			bt, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_ZSTD, valueRecords("c", 3))
			if err != nil {
				t.Fatal(err)
			}
			bt.RecordCount = count
			return s.produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: proto.Int32(0), Batch: bt})(t)
		}
	}
	repeated := func(n int, p func(i int) int32) []int32 {
		out := make([]int32, n)
		for i := range out {
			out[i] = p(i)
		}
		return out
	}
	fetchParts := func(ps []int32) func(t *testing.T) error {
		req := &sluicev1.FetchRequest{Topic: "existing"}
		for _, p := range ps {
			req.Partitions = append(req.Partitions, &sluicev1.FetchPartition{Partition: p})
		}
		return s.fetch(req)
	}
	latest := &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}
	commits := func(n int) func(t *testing.T) error {
		req := &sluicev1.CommitOffsetsRequest{GroupId: "gn"}
		for i := range n {
			req.Offsets = append(req.Offsets, &sluicev1.CommittedOffset{Topic: "existing", Partition: int32(i % 3), Offset: 1})
		}
		return unaryCall(g.CommitOffsets, req)
	}
	manyTopics := make([]string, 100000)
	for i := range manyTopics {
		manyTopics[i] = fmt.Sprintf("t%d", i)
	}
	return []edgeCase{
		{"count/batch says more records", batch(4), bad},
		{"count/batch says fewer records", batch(2), bad},
		{"count/batch says none", batch(0), bad},
		{"count/batch says -1", batch(-1), bad},
		{"count/batch says min int32", batch(math.MinInt32), bad},
		{"count/batch says max int32", batch(math.MaxInt32), bad},
		{"count/batch of garbage", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Batch: &sluicev1.RecordBatch{
			Compression: sluicev1.Compression_COMPRESSION_GZIP, RecordCount: 1, CompressedRecords: []byte("not gzip")}}), bad},
		{"count/batch of unknown codec", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Batch: &sluicev1.RecordBatch{
			Compression: 99, RecordCount: 1, CompressedRecords: []byte{1}}}), bad},
		{"count/batch and records", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Records: valueRecords("r", 1), Batch: &sluicev1.RecordBatch{
			Compression: sluicev1.Compression_COMPRESSION_ZSTD, RecordCount: 1}}), bad},
		{"count/100000 empty records", func(t *testing.T) error {
			recs := make([]*sluicev1.Record, 100000)
			for i := range recs {
				recs[i] = &sluicev1.Record{}
			}
			return s.produce(&sluicev1.ProduceRequest{Topic: "bulk", Partition: proto.Int32(0), Records: recs})(t)
		}, codes.OK},

		{"count/fetch partition twice", fetchParts([]int32{0, 2, 0}), bad},
		{"count/fetch 100000 partitions", fetchParts(repeated(100000, func(i int) int32 { return int32(i) })), codes.NotFound},
		{"count/fetch partition 0 100000 times", fetchParts(repeated(100000, func(int) int32 { return 0 })), bad},
		{"count/list offsets partition twice", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "existing",
			Partitions: []int32{1, 1}, Spec: latest}), bad},
		{"count/list offsets 100000 partitions", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "existing",
			Partitions: repeated(100000, func(i int) int32 { return int32(i) }), Spec: latest}), codes.NotFound},
		{"count/list offsets partition 0 100000 times", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{Topic: "existing",
			Partitions: repeated(100000, func(int) int32 { return 0 }), Spec: latest}), bad},
		{"count/metadata of 100000 topics", unaryCall(a.GetMetadata, &sluicev1.GetMetadataRequest{Topics: manyTopics}), codes.NotFound},
		{"count/commit of 10001 offsets", commits(10001), bad},
		{"count/commit of no offsets", commits(0), bad},
		{"count/fetch offsets of 100000 partitions", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{GroupId: "gn",
			Partitions: []*sluicev1.TopicPartitions{{Topic: "existing", Partitions: repeated(100000, func(i int) int32 { return int32(i) })}}}), codes.OK},
		{"count/reset 100000 partitions", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{GroupId: "gn", Topic: "existing",
			Partitions: repeated(100000, func(i int) int32 { return int32(i) }), To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}}), bad},
		{"count/join of 100000 topics", s.session(joinReq(&sluicev1.JoinGroup{GroupId: "gn", Topics: manyTopics})), bad},
		{"count/reset partition twice", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{GroupId: "gn", Topic: "existing",
			Partitions: []int32{1, 1}, To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}}), bad},
		{"count/commit partition twice", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{GroupId: "gn", Offsets: []*sluicev1.CommittedOffset{
			{Topic: "existing", Partition: 0, Offset: 1}, {Topic: "existing", Partition: 0, Offset: 2}}}), codes.OK},
		{"count/fetch accepting zstd 100000 times", s.fetch(&sluicev1.FetchRequest{Topic: "existing",
			AcceptCompression: slices.Repeat([]sluicev1.Compression{sluicev1.Compression_COMPRESSION_ZSTD}, 100000)}), codes.OK},
		{"count/follow fetch of a partition that does not exist", s.follow(&sluicev1.FetchRequest{Topic: "existing", Follow: true,
			Partitions: []*sluicev1.FetchPartition{{Partition: 7}}}), codes.NotFound},
		{"count/follow fetch of partition twice", s.follow(&sluicev1.FetchRequest{Topic: "existing", Follow: true,
			Partitions: []*sluicev1.FetchPartition{{Partition: 0}, {Partition: 0}}}), bad},
		{"count/join topic twice", s.session(joinReq(&sluicev1.JoinGroup{GroupId: "gn2", Topics: []string{"existing", "existing"}})), codes.OK},
	}
}

// findingCases are the requests of issue 10's findings, each at its edge.
func (s *suite) findingCases() []edgeCase {
	a, g := s.b.AdminClient, s.b.GroupClient
	bad := codes.InvalidArgument
	big := make([]*sluicev1.Record, 17)
	for i := range big {
		big[i] = &sluicev1.Record{Value: make([]byte, 1000000)}
	}
	offsets := "__consumer_offsets"
	return []edgeCase{
		// Over one raft entry for one partition: refused whole.
		{"finding/17 records of 1000000 bytes", s.produce(&sluicev1.ProduceRequest{Topic: "existing", Partition: proto.Int32(0), Records: big}), bad},
		{"finding/zstd bomb", func(t *testing.T) error {
			bomb, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_ZSTD, []*sluicev1.Record{{Value: make([]byte, 40<<20)}})
			if err != nil {
				t.Fatal(err)
			}
			return s.produce(&sluicev1.ProduceRequest{Topic: "existing", Batch: bomb})(t)
		}, bad},
		{"finding/17 MiB commit metadata", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{GroupId: "gf",
			Offsets: []*sluicev1.CommittedOffset{{Topic: "existing", Offset: 1, Metadata: strings.Repeat("m", 17<<20)}}}), bad},
		{"finding/commit to a partition that does not exist", unaryCall(g.CommitOffsets, commitOne("gf", "", "existing", 3, 0)), codes.NotFound},
		{"finding/commit to a topic that does not exist", unaryCall(g.CommitOffsets, commitOne("gf", "", "nope", 0, 0)), codes.NotFound},
		{"finding/reset past the log end", s.resetClamped("gf", 99999), codes.OK},
		{"finding/alter offsets topic", unaryCall(a.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{Name: offsets,
			DeleteConfigs: []string{"retention.ms"}}), bad},
		{"finding/delete offsets topic", unaryCall(a.DeleteTopic, &sluicev1.DeleteTopicRequest{Name: offsets}), bad},
		{"finding/repartition offsets topic", unaryCall(a.CreatePartitions, &sluicev1.CreatePartitionsRequest{Name: offsets, Partitions: 1000}), bad},
		{"finding/create offsets topic", unaryCall(a.CreateTopic, &sluicev1.CreateTopicRequest{Name: offsets, Partitions: 1}), bad},
		{"finding/produce to offsets topic", s.produce(&sluicev1.ProduceRequest{Topic: offsets, Partition: proto.Int32(0), Records: valueRecords("x", 1)}), bad},
	}
}

// emptyRequestCases send every RPC of the public API its request with all
// fields zero.
func (s *suite) emptyRequestCases() []edgeCase {
	a, g, pr := s.b.AdminClient, s.b.GroupClient, s.b.ProduceClient
	bad, ok := codes.InvalidArgument, codes.OK
	return []edgeCase{
		{"empty/CreateTopic", unaryCall(a.CreateTopic, &sluicev1.CreateTopicRequest{}), bad},
		{"empty/DeleteTopic", unaryCall(a.DeleteTopic, &sluicev1.DeleteTopicRequest{}), bad},
		{"empty/ListTopics", unaryCall(a.ListTopics, &sluicev1.ListTopicsRequest{}), ok},
		{"empty/DescribeTopic", unaryCall(a.DescribeTopic, &sluicev1.DescribeTopicRequest{}), bad},
		{"empty/ListOffsets", unaryCall(a.ListOffsets, &sluicev1.ListOffsetsRequest{}), bad},
		{"empty/GetMetadata", unaryCall(a.GetMetadata, &sluicev1.GetMetadataRequest{}), ok},
		{"empty/DescribeCluster", unaryCall(a.DescribeCluster, &sluicev1.DescribeClusterRequest{}), ok},
		{"empty/AlterTopicConfigs", unaryCall(a.AlterTopicConfigs, &sluicev1.AlterTopicConfigsRequest{}), bad},
		{"empty/CreatePartitions", unaryCall(a.CreatePartitions, &sluicev1.CreatePartitionsRequest{}), bad},
		{"empty/CreateUser", unaryCall(a.CreateUser, &sluicev1.CreateUserRequest{}), bad},
		{"empty/DeleteUser", unaryCall(a.DeleteUser, &sluicev1.DeleteUserRequest{}), bad},
		{"empty/ListUsers", unaryCall(a.ListUsers, &sluicev1.ListUsersRequest{}), ok},
		{"empty/StartScram", unaryCall(sluicev1.NewAuthServiceClient(s.b.Conn).StartScram, &sluicev1.StartScramRequest{}), bad},
		{"empty/FinishScram", unaryCall(sluicev1.NewAuthServiceClient(s.b.Conn).FinishScram, &sluicev1.FinishScramRequest{}), bad},
		{"empty/SetQuota", unaryCall(a.SetQuota, &sluicev1.SetQuotaRequest{}), bad},
		{"empty/ListQuotas", unaryCall(a.ListQuotas, &sluicev1.ListQuotasRequest{}), ok},
		{"empty/DeleteQuota", unaryCall(a.DeleteQuota, &sluicev1.DeleteQuotaRequest{}), bad},
		{"empty/Fetch", s.fetch(&sluicev1.FetchRequest{}), bad},
		{"empty/Produce", s.produce(&sluicev1.ProduceRequest{}), bad},
		{"empty/InitProducer", unaryCall(pr.InitProducer, &sluicev1.InitProducerRequest{}), ok},
		{"empty/MemberSession", s.session(&sluicev1.MemberSessionRequest{}), bad},
		{"empty/MemberSession empty join", s.session(joinReq(&sluicev1.JoinGroup{})), bad},
		{"empty/MemberSession heartbeat first", s.session(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Heartbeat{}}), bad},
		{"empty/MemberSession revocation first", s.session(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_RevocationDone{}}), bad},
		{"empty/MemberSession no message", s.session(), bad},
		{"empty/MemberSession empty message after join", s.joined("ge1", &sluicev1.MemberSessionRequest{}, joinReq(&sluicev1.JoinGroup{})), bad},
		// Partitions the member never owned: the coordinator ignores them,
		// and the session goes on until the second join ends it.
		{"empty/MemberSession revocation of partitions never owned", s.joined("ge2",
			&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_RevocationDone{RevocationDone: &sluicev1.RevocationDone{
				Partitions: []*sluicev1.TopicPartitions{{Topic: strings.Repeat("n", 1<<20), Partitions: []int32{math.MaxInt32, -1, math.MinInt32}},
					{Topic: "existing", Partitions: []int32{7, 0, 0}}, {}}}}},
			&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Heartbeat{Heartbeat: &sluicev1.Heartbeat{}}},
			joinReq(&sluicev1.JoinGroup{GroupId: "ge2", Topics: []string{"existing"}})), bad},
		{"empty/CommitOffsets", unaryCall(g.CommitOffsets, &sluicev1.CommitOffsetsRequest{}), bad},
		{"empty/FetchOffsets", unaryCall(g.FetchOffsets, &sluicev1.FetchOffsetsRequest{}), bad},
		{"empty/ListGroups", unaryCall(g.ListGroups, &sluicev1.ListGroupsRequest{}), ok},
		{"empty/DescribeGroup", unaryCall(g.DescribeGroup, &sluicev1.DescribeGroupRequest{}), bad},
		{"empty/DeleteGroup", unaryCall(g.DeleteGroup, &sluicev1.DeleteGroupRequest{}), bad},
		{"empty/ResetOffsets", unaryCall(g.ResetOffsets, &sluicev1.ResetOffsetsRequest{}), bad},
		{"empty/CreateAcls", unaryCall(a.CreateAcls, &sluicev1.CreateAclsRequest{}), bad},
		{"empty/CreateAcls empty binding", unaryCall(a.CreateAcls, &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{{}}}), bad},
		{"empty/DeleteAcls", unaryCall(a.DeleteAcls, &sluicev1.DeleteAclsRequest{}), bad},
		{"empty/ListAcls", unaryCall(a.ListAcls, &sluicev1.ListAclsRequest{}), ok},
	}
}

// TestMemberSessionClosedBeforeJoinIsRefused: a client that closes its
// member session before its first message gets InvalidArgument naming the
// join it owed, not an Internal error carrying "EOF".
func TestMemberSessionClosedBeforeJoinIsRefused(t *testing.T) {
	b := servertest.Start(t)
	stream, err := b.GroupClient.MemberSession(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	_, err = recvTimeout(t, stream.Recv)
	st := checkStatus(t, err, codes.InvalidArgument, "first message", "join")
	checkBadRequest(t, st, "join")
}

// TestMetadataRefusesInvalidTopicNames: GetMetadata checks the names it is
// asked for as CreateTopic does, so a name that cannot be a topic is
// refused as invalid and a huge one is not echoed back in the error.
func TestMetadataRefusesInvalidTopicNames(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	for _, name := range []string{"a\x00b", "t\U0001F525", strings.Repeat("n", 1<<20)} {
		_, err := b.AdminClient.GetMetadata(t.Context(), &sluicev1.GetMetadataRequest{Topics: []string{"t", name}})
		st := checkStatus(t, err, codes.InvalidArgument, "topics[1]")
		checkBadRequest(t, st, "topics[1]")
		if len(st.Message()) > 300 {
			t.Errorf("the error is %d bytes: %.100s...", len(st.Message()), st.Message())
		}
	}
	if _, err := b.AdminClient.GetMetadata(t.Context(), &sluicev1.GetMetadataRequest{Topics: []string{"t"}}); err != nil {
		t.Fatalf("metadata of a topic that exists: %v", err)
	}
}

// TestListOffsetsRefusesNegativeTimestampsAndRepeatedPartitions: as Fetch
// and ResetOffsets do, ListOffsets refuses a negative timestamp (Kafka's -1
// and -2 are the boundary spec here) and a partition listed twice.
func TestListOffsetsRefusesNegativeTimestampsAndRepeatedPartitions(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	for _, ms := range []int64{-1, -2, math.MinInt64} {
		_, err := b.AdminClient.ListOffsets(t.Context(), &sluicev1.ListOffsetsRequest{Topic: "t",
			Spec: &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: ms}})
		st := checkStatus(t, err, codes.InvalidArgument, fmt.Sprint(ms))
		checkBadRequest(t, st, "timestamp_ms")
	}
	_, err := b.AdminClient.ListOffsets(t.Context(), &sluicev1.ListOffsetsRequest{Topic: "t", Partitions: []int32{1, 0, 1},
		Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}})
	st := checkStatus(t, err, codes.InvalidArgument, "partition 1 is listed twice")
	checkBadRequest(t, st, "partitions")
}

// TestFetchOffsetsRefusesInvalidTopicsAndNegativePartitions: FetchOffsets
// checks the partitions it is asked for as CommitOffsets checks those it
// stores.
func TestFetchOffsetsRefusesInvalidTopicsAndNegativePartitions(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	for _, tc := range []struct {
		tp    *sluicev1.TopicPartitions
		field string
	}{
		{&sluicev1.TopicPartitions{Topic: "a\nb", Partitions: []int32{0}}, "partitions[1].topic"},
		{&sluicev1.TopicPartitions{Topic: strings.Repeat("n", 10<<10)}, "partitions[1].topic"},
		{&sluicev1.TopicPartitions{Topic: "t", Partitions: []int32{0, math.MinInt32}}, "partitions[1].partitions"},
	} {
		_, err := b.GroupClient.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g",
			Partitions: []*sluicev1.TopicPartitions{{Topic: "t", Partitions: []int32{0}}, tc.tp}})
		st := checkStatus(t, err, codes.InvalidArgument, tc.field)
		checkBadRequest(t, st, tc.field)
	}
}

// TestJoinRefusesLongAssignorWithoutEchoingIt: a join naming an assignor
// longer than any id is refused with its length, not with the name itself
// (a 1 MB name made a 1 MB error).
func TestJoinRefusesLongAssignorWithoutEchoingIt(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	s := &suite{b: b}
	err := s.session(joinReq(&sluicev1.JoinGroup{GroupId: "g", Topics: []string{"t"}, Assignor: strings.Repeat("a", 1<<20)}))(t)
	st := checkStatus(t, err, codes.InvalidArgument, "1048576", "255")
	checkBadRequest(t, st, "join.assignor")
	if len(st.Message()) > 300 {
		t.Errorf("the error is %d bytes: %.100s...", len(st.Message()), st.Message())
	}
}

// TestResetOffsetsRefusesRepeatedPartitions: a reset that lists a
// partition twice is refused before anything is committed.
func TestResetOffsetsRefusesRepeatedPartitions(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	_, err := b.GroupClient.ResetOffsets(t.Context(), &sluicev1.ResetOffsetsRequest{GroupId: "g", Topic: "t",
		Partitions: []int32{1, 0, 1}, To: &sluicev1.ResetOffsetsRequest_Offset{Offset: 0}})
	st := checkStatus(t, err, codes.InvalidArgument, "partition 1 is listed twice")
	checkBadRequest(t, st, "partitions")
	got, err := b.GroupClient.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetOffsets()) != 0 {
		t.Fatalf("offsets committed by a refused reset: %v", got.GetOffsets())
	}
}
