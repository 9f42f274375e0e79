package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/security"
	"github.com/sluice-io/sluice/server/servertest"
)

// The tests name the caller through Config.Authenticate, the seam the
// authentication interceptors use: a call carrying the metadata x-test-user
// runs as that user, one a broker forwards as security.Anonymous, any other
// as User:admin, the super user.
const testUserKey = "x-test-user"

func testAuthenticate(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(testUserKey); len(v) > 0 {
		return security.WithPrincipal(ctx, security.User(v[0])), nil
	}
	if len(md.Get("x-sluice-forwarded")) > 0 {
		// A broker forwarding a client's request presents no user: it
		// must not be refused for that (the broker called authorized it).
		return ctx, nil
	}
	return security.WithPrincipal(ctx, security.User("admin")), nil
}

// as returns a context whose calls run as User:name.
func as(ctx context.Context, name string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, testUserKey, name)
}

func withAuthorization(c *server.Config) {
	c.Authorization = true
	c.SuperUsers = []string{"User:admin"}
	c.Authenticate = testAuthenticate
}

func startAuthorized(t *testing.T) *servertest.Broker {
	return servertest.Start(t, servertest.WithConfig(withAuthorization))
}

func allowACL(rt sluicev1.AclResourceType, name string, pt sluicev1.AclPatternType, principal string, op sluicev1.AclOperation) *sluicev1.AclBinding {
	return &sluicev1.AclBinding{ResourceType: rt, ResourceName: name, PatternType: pt, Principal: principal, Host: "*",
		Operation: op, Permission: sluicev1.AclPermission_ACL_PERMISSION_ALLOW}
}

func denyACL(rt sluicev1.AclResourceType, name string, pt sluicev1.AclPatternType, principal string, op sluicev1.AclOperation) *sluicev1.AclBinding {
	a := allowACL(rt, name, pt, principal, op)
	a.Permission = sluicev1.AclPermission_ACL_PERMISSION_DENY
	return a
}

const (
	aclTopic   = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TOPIC
	aclGroup   = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_GROUP
	aclCluster = sluicev1.AclResourceType_ACL_RESOURCE_TYPE_CLUSTER
	literal    = sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL
	prefixed   = sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED
)

func grant(t *testing.T, admin sluicev1.AdminServiceClient, acls ...*sluicev1.AclBinding) {
	t.Helper()
	if _, err := admin.CreateAcls(t.Context(), &sluicev1.CreateAclsRequest{Acls: acls}); err != nil {
		t.Fatalf("create ACLs: %v", err)
	}
}

// checkDenied fails unless err is PERMISSION_DENIED naming the principal,
// the operation and the resource.
func checkDenied(t *testing.T, err error, principal, op, resource string) {
	t.Helper()
	st := checkStatus(t, err, codes.PermissionDenied, principal, op, fmt.Sprintf("%q", resource))
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == "ACL_DENIED" {
			if info.GetMetadata()["operation"] != op || info.GetMetadata()["resource_name"] != resource {
				t.Errorf("ACL_DENIED details %v, want operation %s on %q", info.GetMetadata(), op, resource)
			}
			return
		}
	}
	t.Errorf("no ACL_DENIED details in %v", st.Details())
}

// checkErrorDenied is checkDenied for an error reported in a produce response.
func checkErrorDenied(t *testing.T, e *sluicev1.Error, principal, op, resource string) {
	t.Helper()
	if e == nil {
		t.Fatalf("no error, want PERMISSION_DENIED for %s %q", op, resource)
	}
	checkStatus(t, status.Error(codes.Code(e.GetCode()), e.GetMessage()), codes.PermissionDenied, principal, op, fmt.Sprintf("%q", resource))
	if e.GetRetryable() {
		t.Error("a permission error is marked retryable")
	}
}

// TestWriteDeniedFailsOnlyThatTopicsPart: a producer with WRITE on topic a
// alone sends to a and b on one stream; b's part is refused with
// PERMISSION_DENIED naming b and WRITE, a's records are stored, and the
// stream goes on.
func TestWriteDeniedFailsOnlyThatTopicsPart(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "a", 1)
	b.CreateTopic(t, "b", 1)
	grant(t, b.AdminClient, allowACL(aclTopic, "a", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_WRITE))

	stream, err := b.ProduceClient.Produce(as(t.Context(), "alice"))
	if err != nil {
		t.Fatal(err)
	}
	p := &produceStream{t: t, stream: stream}
	for i, req := range []*sluicev1.ProduceRequest{
		{Topic: "a", Partition: new(int32(0)), Records: valueRecords("a", 2)},
		{Topic: "b", Partition: new(int32(0)), Records: valueRecords("b", 2)},
		{Topic: "b", Records: valueRecords("b-keyless", 1)},
		{Topic: "a", Partition: new(int32(0)), Records: valueRecords("a-again", 1)},
	} {
		resp := p.roundTrip(t, req)
		switch req.GetTopic() {
		case "a":
			if resp.GetError() != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetError() != nil {
				t.Fatalf("request %d to topic a (WRITE allowed): %v", i, resp)
			}
		case "b":
			if req.Partition != nil {
				// The named partition's result carries the refusal.
				if resp.GetError() != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetPartition() != 0 {
					t.Fatalf("request %d to b/0: want one result for partition 0 with the error, got %v", i, resp)
				}
				checkErrorDenied(t, resp.GetResults()[0].GetError(), "User:alice", "WRITE", "b")
			} else {
				checkErrorDenied(t, resp.GetError(), "User:alice", "WRITE", "b")
			}
		}
	}
	if hw := b.HighWatermarks(t, "a"); hw[0] != 3 {
		t.Errorf("topic a holds %d records, want 3", hw[0])
	}
	if hw := b.HighWatermarks(t, "b"); hw[0] != 0 {
		t.Errorf("topic b holds %d records, want none", hw[0])
	}
}

// TestReadOnlyPrincipalConsumesButCannotCommitWithoutGroupRead: READ on a
// topic lets a consumer fetch it; committing for, or joining, a group it has
// no READ on is refused naming the group, until READ on the group is granted.
func TestReadOnlyPrincipalConsumesButCannotCommitWithoutGroupRead(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "t", 1)
	b.Produce(t, "t", 0, valueRecords("r", 3)...)
	grant(t, b.AdminClient, allowACL(aclTopic, "t", literal, "User:bob", sluicev1.AclOperation_ACL_OPERATION_READ))
	ctx := as(t.Context(), "bob")

	stream, err := b.FetchClient.Fetch(ctx, &sluicev1.FetchRequest{Topic: "t", StartAll: atOffset(0)})
	if err != nil {
		t.Fatal(err)
	}
	var got []*sluicev1.Record
	for {
		resp, err := recvTimeout(t, stream.Recv)
		if err != nil {
			break
		}
		got = append(got, resp.GetRecords()...)
	}
	if len(got) != 3 {
		t.Fatalf("bob fetched %d records, want 3", len(got))
	}

	commit := &sluicev1.CommitOffsetsRequest{GroupId: "g", Offsets: []*sluicev1.CommittedOffset{{Topic: "t", Partition: 0, Offset: 3}}}
	_, err = b.GroupClient.CommitOffsets(ctx, commit)
	checkDenied(t, err, "User:bob", "READ", "g")
	session, err := b.GroupClient.MemberSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Join{Join: &sluicev1.JoinGroup{GroupId: "g", Topics: []string{"t"}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = recvTimeout(t, session.Recv)
	checkDenied(t, err, "User:bob", "READ", "g")
	if _, err := b.GroupClient.FetchOffsets(t.Context(), &sluicev1.FetchOffsetsRequest{GroupId: "g"}); err != nil {
		t.Fatal(err)
	}

	grant(t, b.AdminClient, allowACL(aclGroup, "g", literal, "User:bob", sluicev1.AclOperation_ACL_OPERATION_READ))
	if _, err := b.GroupClient.CommitOffsets(ctx, commit); err != nil {
		t.Fatalf("commit with READ on group and topic: %v", err)
	}
	// READ on the group but not on the topic committed to: refused too.
	b.CreateTopic(t, "other", 1)
	_, err = b.GroupClient.CommitOffsets(ctx, &sluicev1.CommitOffsetsRequest{GroupId: "g",
		Offsets: []*sluicev1.CommittedOffset{{Topic: "other", Partition: 0, Offset: 0}}})
	checkDenied(t, err, "User:bob", "READ", "other")
}

// TestPrefixedACLsMatchEveryTopicWithThePrefix: READ on the prefix
// "team-a." reads every topic named so, and no other.
func TestPrefixedACLsMatchEveryTopicWithThePrefix(t *testing.T) {
	b := startAuthorized(t)
	for _, name := range []string{"team-a.orders", "team-a.billing", "team-b.orders", "team-a"} {
		b.CreateTopic(t, name, 1)
	}
	grant(t, b.AdminClient, allowACL(aclTopic, "team-a.", prefixed, "User:carol", sluicev1.AclOperation_ACL_OPERATION_READ))
	ctx := as(t.Context(), "carol")
	for name, allowed := range map[string]bool{"team-a.orders": true, "team-a.billing": true, "team-b.orders": false, "team-a": false} {
		_, err := b.AdminClient.ListOffsets(ctx, &sluicev1.ListOffsetsRequest{Topic: name,
			Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}})
		if allowed && err != nil {
			t.Errorf("topic %s (under the prefix): %v", name, err)
		}
		if !allowed {
			checkDenied(t, err, "User:carol", "DESCRIBE", name)
		}
		stream, err := b.FetchClient.Fetch(ctx, &sluicev1.FetchRequest{Topic: name, StartAll: atOffset(0)})
		if err == nil {
			err = streamEnd(t, stream.Recv)
		}
		if allowed && err != nil {
			t.Errorf("fetch %s (under the prefix): %v", name, err)
		}
		if !allowed {
			checkDenied(t, err, "User:carol", "READ", name)
		}
	}
}

// TestDenyWinsOverAllow: everyone may do everything on every topic, but
// alice is denied WRITE on t: she cannot write t, still reads it, and
// others still write it.
func TestDenyWinsOverAllow(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "t", 1)
	grant(t, b.AdminClient,
		allowACL(aclTopic, "*", literal, "User:*", sluicev1.AclOperation_ACL_OPERATION_ALL),
		denyACL(aclTopic, "t", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_WRITE))
	req := &sluicev1.ProduceRequest{Topic: "t", Partition: new(int32(0)), Records: valueRecords("x", 1)}
	resp, err := b.TryProduceRequest(as(t.Context(), "alice"), req)
	if err != nil {
		t.Fatal(err)
	}
	checkErrorDenied(t, resp.GetResults()[0].GetError(), "User:alice", "WRITE", "t")
	if _, err := b.TryProduce(as(t.Context(), "bob"), "t", 0, valueRecords("y", 1)...); err != nil {
		t.Errorf("bob (allowed, not denied) cannot write: %v", err)
	}
	if _, err := b.AdminClient.DescribeTopic(as(t.Context(), "alice"), &sluicev1.DescribeTopicRequest{Name: "t"}); err != nil {
		t.Errorf("alice cannot describe t (only WRITE is denied): %v", err)
	}
}

// TestSuperUserIsAllowedEverything: with no ACL at all, the super user
// creates, writes, reads, alters and deletes, and manages ACLs; anyone else
// is refused each.
func TestSuperUserIsAllowedEverything(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "t", 1) // as User:admin
	b.Produce(t, "t", 0, valueRecords("s", 2)...)
	if recs := b.FetchAll(t, "t", 0, 0); len(recs) != 2 {
		t.Fatalf("super user fetched %d records, want 2", len(recs))
	}
	if _, err := b.AdminClient.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "t",
		SetConfigs: map[string]string{"retention.ms": "60000"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AdminClient.ListAcls(t.Context(), &sluicev1.ListAclsRequest{}); err != nil {
		t.Fatal(err)
	}

	ctx := as(t.Context(), "mallory")
	_, err := b.AdminClient.CreateTopic(ctx, &sluicev1.CreateTopicRequest{Name: "u", Partitions: 1})
	checkDenied(t, err, "User:mallory", "CREATE", "u")
	_, err = b.AdminClient.AlterTopicConfigs(ctx, &sluicev1.AlterTopicConfigsRequest{Name: "t", SetConfigs: map[string]string{"retention.ms": "1"}})
	checkDenied(t, err, "User:mallory", "ALTER_CONFIGS", "t")
	_, err = b.AdminClient.DeleteTopic(ctx, &sluicev1.DeleteTopicRequest{Name: "t"})
	checkDenied(t, err, "User:mallory", "DELETE", "t")
	_, err = b.AdminClient.CreateAcls(ctx, &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{
		allowACL(aclTopic, "*", literal, "User:mallory", sluicev1.AclOperation_ACL_OPERATION_ALL)}})
	checkDenied(t, err, "User:mallory", "ALTER", "sluice-cluster")
	_, err = b.AdminClient.ListAcls(ctx, &sluicev1.ListAclsRequest{})
	checkDenied(t, err, "User:mallory", "DESCRIBE", "sluice-cluster")
	_, err = b.ProduceClient.InitProducer(ctx, &sluicev1.InitProducerRequest{})
	checkDenied(t, err, "User:mallory", "IDEMPOTENT_WRITE", "sluice-cluster")

	if _, err := b.AdminClient.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "t"}); err != nil {
		t.Fatalf("super user cannot delete: %v", err)
	}
}

// TestListingsShowOnlyWhatThePrincipalMayDescribe: topic listings, metadata
// without names and group listings leave out what the caller may not
// DESCRIBE; a topic description leaves out configs without DESCRIBE_CONFIGS.
func TestListingsShowOnlyWhatThePrincipalMayDescribe(t *testing.T) {
	b := startAuthorized(t)
	for _, name := range []string{"mine", "yours"} {
		b.CreateTopic(t, name, 1, "retention.ms", "60000")
	}
	for _, g := range []string{"g-mine", "g-yours"} {
		if _, err := b.GroupClient.CommitOffsets(t.Context(), &sluicev1.CommitOffsetsRequest{GroupId: g,
			Offsets: []*sluicev1.CommittedOffset{{Topic: "mine", Partition: 0, Offset: 0}, {Topic: "yours", Partition: 0, Offset: 0}}}); err != nil {
			t.Fatal(err)
		}
	}
	grant(t, b.AdminClient,
		allowACL(aclTopic, "mine", literal, "User:dave", sluicev1.AclOperation_ACL_OPERATION_READ),
		allowACL(aclGroup, "g-mine", literal, "User:dave", sluicev1.AclOperation_ACL_OPERATION_DESCRIBE))
	ctx := as(t.Context(), "dave")

	topics, err := b.AdminClient.ListTopics(ctx, &sluicev1.ListTopicsRequest{IncludeInternal: true})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tp := range topics.GetTopics() {
		names = append(names, tp.GetName())
	}
	if !slices.Equal(names, []string{"mine"}) {
		t.Errorf("dave lists topics %q, want [mine]", names)
	}
	md, err := b.AdminClient.GetMetadata(ctx, &sluicev1.GetMetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(md.GetTopics()) != 1 || md.GetTopics()[0].GetName() != "mine" {
		t.Errorf("dave's metadata lists %v, want topic mine alone", md.GetTopics())
	}
	_, err = b.AdminClient.GetMetadata(ctx, &sluicev1.GetMetadataRequest{Topics: []string{"mine", "yours"}})
	checkDenied(t, err, "User:dave", "DESCRIBE", "yours")
	groups, err := b.GroupClient.ListGroups(ctx, &sluicev1.ListGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.GetGroups()) != 1 || groups.GetGroups()[0].GetGroupId() != "g-mine" {
		t.Errorf("dave lists groups %v, want g-mine alone", groups.GetGroups())
	}
	if all, err := b.GroupClient.ListGroups(t.Context(), &sluicev1.ListGroupsRequest{}); err != nil || len(all.GetGroups()) != 2 {
		t.Errorf("the super user lists groups %v (err %v), want both", all.GetGroups(), err)
	}
	gd, err := b.GroupClient.DescribeGroup(ctx, &sluicev1.DescribeGroupRequest{GroupId: "g-mine"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.GetPartitions()) != 1 || gd.GetPartitions()[0].GetTopic() != "mine" {
		t.Errorf("dave's description of g-mine shows lag of %v, want topic mine alone", gd.GetPartitions())
	}
	fo, err := b.GroupClient.FetchOffsets(ctx, &sluicev1.FetchOffsetsRequest{GroupId: "g-mine"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fo.GetOffsets()) != 1 || fo.GetOffsets()[0].GetTopic() != "mine" {
		t.Errorf("dave's offsets of g-mine: %v, want topic mine alone", fo.GetOffsets())
	}
	_, err = b.GroupClient.DescribeGroup(ctx, &sluicev1.DescribeGroupRequest{GroupId: "g-yours"})
	checkDenied(t, err, "User:dave", "DESCRIBE", "g-yours")
	d, err := b.AdminClient.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.GetTopic().GetConfigs()) != 0 || len(d.GetTopic().GetEffectiveConfigs()) != 0 || len(d.GetTopic().GetPartitions()) != 1 {
		t.Errorf("dave (no DESCRIBE_CONFIGS) sees %v", d.GetTopic())
	}
}

// TestDeleteAclsRemovesWhatTheFilterMatchesAndSaysWhat: a delete by filter
// returns exactly the ACLs it removed, and a list shows the rest.
func TestDeleteAclsRemovesWhatTheFilterMatchesAndSaysWhat(t *testing.T) {
	b := startAuthorized(t)
	keep := allowACL(aclTopic, "t", literal, "User:bob", sluicev1.AclOperation_ACL_OPERATION_READ)
	grant(t, b.AdminClient,
		allowACL(aclTopic, "t", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_READ),
		allowACL(aclTopic, "t", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_WRITE),
		keep)
	_, err := b.AdminClient.CreateAcls(t.Context(), &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{
		allowACL(aclCluster, "other", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_ALTER)}})
	checkBadRequest(t, checkStatus(t, err, codes.InvalidArgument, "sluice-cluster"), "acls[0].resource_name")

	del, err := b.AdminClient.DeleteAcls(t.Context(), &sluicev1.DeleteAclsRequest{Filters: []*sluicev1.AclFilter{{Principal: "User:alice"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.GetDeleted()) != 2 {
		t.Fatalf("deleted %v, want alice's two ACLs", del.GetDeleted())
	}
	list, err := b.AdminClient.ListAcls(t.Context(), &sluicev1.ListAclsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetAcls()) != 1 || list.GetAcls()[0].GetPrincipal() != keep.GetPrincipal() {
		t.Fatalf("left %v, want bob's ACL alone", list.GetAcls())
	}
}

// TestACLChangeTakesEffectOnEveryBrokerWithinOneSecond: in a cluster of
// three, an ACL created through one broker is honoured by each broker within
// a second of CreateAcls returning, and so is its deletion.
//
// It runs with real authentication (SCRAM users, Basic credentials), so that
// a request forwarded to the leader carries the client's principal signed
// by the broker that forwarded it.
func TestACLChangeTakesEffectOnEveryBrokerWithinOneSecond(t *testing.T) {
	const erinPassword = "erin-secret"
	c := startClusterDialing(t, 3, func(cfg *server.Config) {
		withSCRAM(cfg)
		cfg.Authentication.BootstrapUsers = append(cfg.Authentication.BootstrapUsers, server.BootstrapUser{Name: "erin", Password: erinPassword})
		cfg.Authorization = true
		cfg.SuperUsers = []string{"User:" + adminUser}
	}, grpc.WithPerRPCCredentials(basicCreds{adminUser, adminPassword}))
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created as admin", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "t", Partitions: 1, ReplicationFactor: 3})
		return err == nil || status.Code(err) == codes.AlreadyExists
	})
	erinConns := map[uint64]*grpc.ClientConn{}
	clients := map[uint64]sluicev1.AdminServiceClient{}
	for id := uint64(1); id <= 3; id++ {
		conn, err := grpc.NewClient(c.addrs[id], grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(basicCreds{"erin", erinPassword}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		erinConns[id] = conn
		clients[id] = sluicev1.NewAdminServiceClient(conn)
	}
	ctx := t.Context()
	describe := func(id uint64) error {
		_, err := clients[id].DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: "t"})
		return err
	}
	for id := range clients {
		if err := describe(id); status.Code(err) != codes.PermissionDenied {
			t.Fatalf("broker %d before the ACL: %v, want PERMISSION_DENIED", id, err)
		}
	}
	acl := allowACL(aclTopic, "t", literal, "User:erin", sluicev1.AclOperation_ACL_OPERATION_DESCRIBE)
	// Within one second of the admin call returning, on every broker.
	within := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for id := uint64(1); id <= 3; id++ {
			for {
				err := describe(id)
				if ok(err) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("broker %d: %s not in effect a second after the change (last answer: %v)", id, what, err)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	if _, err := admin.CreateAcls(t.Context(), &sluicev1.CreateAclsRequest{Acls: []*sluicev1.AclBinding{acl}}); err != nil {
		t.Fatal(err)
	}
	within("the new ACL", func(err error) bool { return err == nil })
	if _, err := admin.DeleteAcls(t.Context(), &sluicev1.DeleteAclsRequest{Filters: []*sluicev1.AclFilter{{Principal: "User:erin"}}}); err != nil {
		t.Fatal(err)
	}
	within("the deletion", func(err error) bool { return status.Code(err) == codes.PermissionDenied })

	// A write through a broker that does not lead the partition is
	// authorized there and forwarded to the leader, which does not refuse it.
	grant(t, admin, allowACL(aclTopic, "t", literal, "User:erin", sluicev1.AclOperation_ACL_OPERATION_WRITE))
	for id := uint64(1); id <= 3; id++ {
		produce := sluicev1.NewProduceServiceClient(erinConns[id])
		waitFor(t, fmt.Sprintf("erin's write through broker %d", id), func() bool {
			stream, err := produce.Produce(ctx)
			if err != nil {
				return false
			}
			defer func() { _ = stream.CloseSend() }()
			if err := stream.Send(&sluicev1.ProduceRequest{Sequence: 1, Topic: "t", Partition: new(int32(0)), Records: valueRecords("e", 1)}); err != nil {
				return false
			}
			resp, err := recvTimeout(t, stream.Recv)
			if err != nil {
				return false
			}
			e := resp.GetError()
			if e == nil && len(resp.GetResults()) == 1 {
				e = resp.GetResults()[0].GetError()
			}
			if e != nil && codes.Code(e.GetCode()) == codes.PermissionDenied {
				t.Fatalf("write through broker %d refused: %s", id, e.GetMessage())
			}
			return e == nil && len(resp.GetResults()) == 1
		})
	}
}

// TestRevokedReadEndsFollowFetchAndGroupSession: long streams are held to
// the ACLs as they change: a follow fetch ends with PERMISSION_DENIED at
// its next records once READ on the topic is deleted, and a member session
// at its next heartbeat once READ on the group is.
func TestRevokedReadEndsFollowFetchAndGroupSession(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "t", 1)
	grant(t, b.AdminClient,
		allowACL(aclTopic, "t", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_READ),
		allowACL(aclGroup, "g", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_READ))
	ctx := as(t.Context(), "alice")

	b.Produce(t, "t", 0, valueRecords("before", 1)...)
	fetch, err := b.FetchClient.Fetch(ctx, &sluicev1.FetchRequest{Topic: "t", StartAll: atOffset(0), Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := recvTimeout(t, fetch.Recv); err != nil || len(resp.GetRecords()) != 1 {
		t.Fatalf("first response: %v, %v", resp, err)
	}
	revoke := func(rt sluicev1.AclResourceType) {
		if _, err := b.AdminClient.DeleteAcls(t.Context(), &sluicev1.DeleteAclsRequest{Filters: []*sluicev1.AclFilter{{ResourceType: rt, Principal: "User:alice"}}}); err != nil {
			t.Fatal(err)
		}
	}
	revoke(aclTopic)
	b.Produce(t, "t", 0, valueRecords("after", 1)...)
	for {
		resp, err := recvTimeout(t, fetch.Recv)
		if err != nil {
			checkDenied(t, err, "User:alice", "READ", "t")
			break
		}
		for _, r := range resp.GetRecords() {
			t.Fatalf("record %q delivered after READ was revoked", r.GetValue())
		}
	}

	session, err := b.GroupClient.MemberSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := session.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Join{Join: &sluicev1.JoinGroup{GroupId: "g", Topics: []string{"t"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := recvTimeout(t, session.Recv); err != nil {
		t.Fatalf("join with READ on the group: %v", err)
	}
	revoke(aclGroup)
	if err := session.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Heartbeat{Heartbeat: &sluicev1.Heartbeat{}}}); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := recvTimeout(t, session.Recv)
		if err != nil {
			checkDenied(t, err, "User:alice", "READ", "g")
			break
		}
	}
}

// TestHostACLsMatchTheClientAddress: an ACL for another host does not
// apply; one for the address the client connects from (127.0.0.1) does.
func TestHostACLsMatchTheClientAddress(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "t", 1)
	other := allowACL(aclTopic, "t", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_DESCRIBE)
	other.Host = "10.9.9.9"
	grant(t, b.AdminClient, other)
	ctx := as(t.Context(), "alice")
	_, err := b.AdminClient.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: "t"})
	checkDenied(t, err, "User:alice", "DESCRIBE", "t")
	here := allowACL(aclTopic, "t", literal, "User:alice", sluicev1.AclOperation_ACL_OPERATION_DESCRIBE)
	here.Host = "127.0.0.1"
	grant(t, b.AdminClient, here)
	if _, err := b.AdminClient.DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: "t"}); err != nil {
		t.Fatalf("with an ACL for 127.0.0.1: %v", err)
	}
}

// TestAuthorizationOffAllowsEveryone: with authorization off (the default)
// a caller with no ACL at all creates, writes, reads and manages ACLs.
func TestAuthorizationOffAllowsEveryone(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Authenticate = testAuthenticate }))
	ctx := as(t.Context(), "nobody")
	if _, err := b.AdminClient.CreateTopic(ctx, &sluicev1.CreateTopicRequest{Name: "t", Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.TryProduce(ctx, "t", 0, valueRecords("x", 1)...); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AdminClient.ListAcls(ctx, &sluicev1.ListAclsRequest{}); err != nil {
		t.Fatal(err)
	}
	if topics, err := b.AdminClient.ListTopics(ctx, &sluicev1.ListTopicsRequest{}); err != nil || len(topics.GetTopics()) != 1 {
		t.Fatalf("list topics: %v, %v", topics, err)
	}
}

// TestForwardedMarkFromAClientIsNotTrusted: a request another broker
// forwards is not checked again, but the mark that says so is call metadata
// a client can send too. A client's mark must not let it past its ACLs.
func TestForwardedMarkFromAClientIsNotTrusted(t *testing.T) {
	b := startAuthorized(t)
	b.CreateTopic(t, "t", 1)
	ctx := metadata.AppendToOutgoingContext(as(t.Context(), "mallory"), "x-sluice-forwarded", "1")
	stream, err := b.ProduceClient.Produce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := &produceStream{t: t, stream: stream}
	resp := p.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Partition: new(int32(0)), Records: valueRecords("m", 1)})
	if len(resp.GetResults()) != 1 {
		t.Fatalf("want one result, got %v", resp)
	}
	checkErrorDenied(t, resp.GetResults()[0].GetError(), "User:mallory", "WRITE", "t")
	if hw := b.HighWatermarks(t, "t"); hw[0] != 0 {
		t.Fatalf("topic t holds %d records written by a principal without WRITE", hw[0])
	}
}
