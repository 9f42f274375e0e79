package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/wire"
)

// Any broker accepts any request: records for a partition this broker does
// not lead are forwarded to the leader, once. SDKs route to leaders themselves
// and never pay for the extra hop.

const (
	forwardedKey   = "x-sluice-forwarded"
	forwardTimeout = 30 * time.Second
)

// isForwarded reports whether a request came from another broker.
func isForwarded(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	return len(md.Get(forwardedKey)) > 0
}

// clientConn returns a shared connection to another broker.
func (b *Broker) clientConn(addr string) (*grpc.ClientConn, error) {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	if c := b.conns[addr]; c != nil {
		return c, nil
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(b.peerCreds())}, b.peerClientInterceptors()...)
	c, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return nil, err
	}
	b.conns[addr] = c
	return c, nil
}

func (b *Broker) closeConns() {
	b.connMu.Lock()
	defer b.connMu.Unlock()
	for addr, c := range b.conns {
		_ = c.Close()
		delete(b.conns, addr)
	}
}

// forwardProduce sends one partition's records to its leader (lead, or when
// unknown the partition's replicas in turn) and returns the base offset and
// the broker that stored them. A not-leader answer that names another leader
// is followed once.
func (b *Broker) forwardProduce(ctx context.Context, topic *internalv1.TopicInfo, pt *part, acks sluicev1.Acks, lead uint64) (int64, uint64, error) {
	req, err := forwardRequest(topic, pt, acks)
	if err != nil {
		return -1, 0, fmt.Errorf("forward to leader: %w", err)
	}
	if p := pt.producer; p != nil {
		req = wire.AppendProducer(req, p.ID, p.Epoch, p.BaseSequence)
	}
	targets := []uint64{lead}
	if lead == 0 {
		targets = b.otherReplicas(topic.GetPartitions()[pt.partition])
	}
	err = b.notLeader(topic.GetName(), pt.partition, lead)
	followed := false
	for i := 0; i < len(targets); i++ {
		addr, ok := b.peerAddr(targets[i])
		if !ok {
			continue
		}
		var base int64
		base, err = b.produceAt(ctx, addr, req)
		if err == nil {
			return base, targets[i], nil
		}
		var nl *notLeaderError
		if errors.As(err, &nl) && nl.leader != 0 && !followed && nl.leader != b.cfg.NodeID {
			targets, i, followed = []uint64{nl.leader}, -1, true
		}
	}
	return -1, 0, err
}

// produceAt sends one pre-encoded produce request to a broker.
func (b *Broker) produceAt(ctx context.Context, addr string, req []byte) (int64, error) {
	conn, err := b.clientConn(addr)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, forwardedKey, "1"), forwardTimeout)
	defer cancel()
	codec, err := newRawCodec()
	if err != nil {
		return -1, err
	}
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx, grpc.ForceCodecV2(codec))
	if err != nil {
		return -1, err
	}
	if err := stream.SendMsg(&rawMessage{b: req}); err != nil {
		return -1, err
	}
	if err := stream.CloseSend(); err != nil {
		return -1, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return -1, err
	}
	return produceResult(resp)
}

// produceResult is the base offset or the error a leader answered for one
// forwarded part.
func produceResult(resp *sluicev1.ProduceResponse) (int64, error) {
	if e := resp.GetError(); e != nil {
		return -1, fromError(e)
	}
	if len(resp.GetResults()) != 1 {
		return -1, fmt.Errorf("leader answered %d results for one partition", len(resp.GetResults()))
	}
	if e := resp.GetResults()[0].GetError(); e != nil {
		return -1, fromError(e)
	}
	return resp.GetResults()[0].GetBaseOffset(), nil
}

// fromError turns an error reported by another broker back into the error
// that toStatus maps to the same status.
func fromError(e *sluicev1.Error) error {
	if nl := e.GetNotLeader(); nl != nil {
		return &notLeaderError{topic: nl.GetTopic(), partition: nl.GetPartition(), leader: nl.GetLeaderId(), addr: nl.GetLeaderAddress()}
	}
	return status.Error(codes.Code(e.GetCode()), e.GetMessage())
}

// Order of forwarded records. Kafka stores the records a producer sends to
// one partition on one connection in the order sent, when nothing fails; so
// does Sluice for the parts a produce stream forwards. Each stream forwards
// through one forwarder per partition, which sends its parts in the order the
// stream received them, pipelined on one stream to the leader (so the
// forwarding hop costs no round trip per request), and the leader handles
// one stream's requests in order.
//
// With failures the guarantee is weaker, as in Kafka (idempotent producers
// keep their order through sequences). A part the leader refuses as
// not-leader stops the pipeline: nothing more is sent until every part in
// flight is answered, then each refused part is sent again in order to the
// leader it names (followed once, as before), then the next parts. A part
// in flight after a refused one may already be stored when the refused one
// is retried, and a part whose stream broke is failed, not retried, since it
// may have been stored.

// forwarders are one produce stream's forwarders. A forwarder exists while
// it has parts to forward and stops when it has none, so a stream holds at
// most one per partition it has parts in flight for.
type forwarders struct {
	b   *Broker
	ctx context.Context // the client's stream: forwarding ends with it
	wg  sync.WaitGroup

	mu sync.Mutex
	m  map[fwdKey]*forwarder
}

type fwdKey struct {
	topic     string
	partition int32
}

func newForwarders(ctx context.Context, b *Broker) *forwarders {
	return &forwarders{b: b, ctx: ctx, m: map[fwdKey]*forwarder{}}
}

// forward queues a part for the partition's leader (lead; 0: unknown);
// finish is called once with its base offset or error.
func (fs *forwarders) forward(topic *internalv1.TopicInfo, pt *part, acks sluicev1.Acks, lead uint64, finish func(int64, error)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fwdKey{topic.GetName(), pt.partition}
	f := fs.m[k]
	if f == nil {
		f = &forwarder{fs: fs, key: k, in: make(chan *fwdPart, maxInFlightPerStream)}
		fs.m[k] = f
		fs.wg.Add(1)
		go f.run()
	}
	// Never blocks: a part holds its request's slot until it is finished,
	// and a request has at most one part per partition.
	f.in <- &fwdPart{topic: topic, pt: pt, acks: acks, lead: lead, finish: finish}
}

// wait returns when every forwarder has stopped; they stop once every part
// was finished.
func (fs *forwarders) wait() { fs.wg.Wait() }

// retire removes f when no part waits for it, under the lock forward queues
// parts under, so that no part is left behind.
func (fs *forwarders) retire(f *forwarder) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(f.in) > 0 {
		return false
	}
	delete(fs.m, f.key)
	return true
}

type fwdPart struct {
	topic  *internalv1.TopicInfo
	pt     *part
	acks   sluicev1.Acks
	lead   uint64 // the leader known when the part arrived; 0: unknown
	finish func(int64, error)

	seq      uint64 // on the leader stream that carries it
	answered bool
	err      error // the refusal of a failed part
}

// forwarder sends one partition's parts of one produce stream in order. Its
// state is owned by run.
type forwarder struct {
	fs  *forwarders
	key fwdKey
	in  chan *fwdPart

	to     *leaderStream // nil until a part is sent, and after a failure
	target uint64        // the broker that last stored a part
}

// leaderStream is a produce stream to a leader that carries a forwarder's
// parts. Its receiver reads the answers, which may come out of order (a
// refusal is answered at once, a write at its commit), matched by sequence.
type leaderStream struct {
	id      uint64
	stream  grpc.ClientStream
	ctx     context.Context
	cancel  context.CancelCauseFunc
	watch   *time.Timer // ends the stream when parts wait and no answer came for forwardTimeout
	answers chan leaderAnswer
	done    chan struct{} // closed when the receiver returns

	next   uint64
	sent   []*fwdPart // from the oldest unanswered part, in send order
	broken bool       // a part failed: send no more, await the rest
	failed []*fwdPart
}

type leaderAnswer struct {
	resp *sluicev1.ProduceResponse
	err  error
}

// errLeaderSlow ends a leader stream that answered nothing for forwardTimeout
// while parts waited.
var errLeaderSlow = errors.New("no answer from the leader within the forward timeout")

func (f *forwarder) run() {
	defer f.fs.wg.Done()
	for {
		ls := f.to
		if ls != nil && ls.broken && len(ls.sent) == 0 {
			f.settle()
			continue
		}
		if (ls == nil || len(ls.sent) == 0) && f.fs.retire(f) {
			if ls != nil {
				ls.close()
			}
			return
		}
		in := f.in
		var answers <-chan leaderAnswer
		var ended <-chan struct{}
		if ls != nil {
			answers = ls.answers
			if len(ls.sent) > 0 {
				ended = ls.ctx.Done()
			}
			if ls.broken {
				in = nil
			}
		}
		select {
		case fp := <-in:
			f.send(fp)
		case a := <-answers:
			f.answer(ls, a)
		case <-ended:
			f.end(ls, ls.endErr(context.Cause(ls.ctx)))
		}
	}
}

// send sends a part on the stream to the leader, opening it first if needed.
func (f *forwarder) send(fp *fwdPart) {
	if f.to == nil {
		ls, err := f.open(fp)
		if err != nil {
			fp.finish(-1, err)
			return
		}
		f.to = ls
	}
	ls := f.to
	req, err := forwardRequest(fp.topic, fp.pt, fp.acks)
	if err != nil {
		fp.finish(-1, fmt.Errorf("forward to leader: %w", err))
		return
	}
	if p := fp.pt.producer; p != nil {
		req = wire.AppendProducer(req, p.ID, p.Epoch, p.BaseSequence)
	}
	fp.seq = ls.next
	ls.next++
	if len(ls.sent) == 0 {
		ls.watch.Reset(forwardTimeout)
	}
	ls.sent = append(ls.sent, fp)
	if err := ls.stream.SendMsg(&rawMessage{b: wire.AppendSequence(req, fp.seq)}); err != nil {
		// The receiver learns why the stream ended; the part fails with it.
		ls.cancel(err)
	}
}

// open starts a stream to the part's leader: the one known, else the one that
// last stored a part, else the first of the partition's other replicas (the
// leader in the metadata first).
func (f *forwarder) open(fp *fwdPart) (*leaderStream, error) {
	b := f.fs.b
	id := fp.lead
	if id == 0 {
		id = f.target
	}
	if id == 0 {
		if others := b.otherReplicas(fp.topic.GetPartitions()[fp.pt.partition]); len(others) > 0 {
			id = others[0]
		}
	}
	addr, ok := b.peerAddr(id)
	if id == 0 || !ok {
		return nil, b.notLeader(fp.topic.GetName(), fp.pt.partition, 0)
	}
	conn, err := b.clientConn(addr)
	if err != nil {
		return nil, fmt.Errorf("forward to broker %d: %w", id, err)
	}
	codec, err := newRawCodec()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(metadata.AppendToOutgoingContext(f.fs.ctx, forwardedKey, "1"))
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx, grpc.ForceCodecV2(codec))
	if err != nil {
		cancel(err)
		return nil, fmt.Errorf("forward to broker %d: %w", id, err)
	}
	// Sequences start above the header's 1, which a leader from before
	// AppendSequence answers a request it cannot parse with: such an answer
	// then ends the stream rather than finishing another part.
	ls := &leaderStream{id: id, stream: stream, ctx: ctx, cancel: cancel, next: 2,
		answers: make(chan leaderAnswer, maxInFlightPerStream+1), done: make(chan struct{})}
	ls.watch = time.AfterFunc(forwardTimeout, func() { cancel(errLeaderSlow) })
	ls.watch.Stop()
	go ls.receive()
	return ls, nil
}

// receive passes the leader's answers to the forwarder until the stream ends.
func (ls *leaderStream) receive() {
	defer close(ls.done)
	for {
		resp := new(sluicev1.ProduceResponse)
		err := ls.stream.RecvMsg(resp)
		if err != nil {
			resp = nil
		}
		select {
		case ls.answers <- leaderAnswer{resp: resp, err: err}:
		case <-ls.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// answer finishes the part a leader's answer is for.
func (f *forwarder) answer(ls *leaderStream, a leaderAnswer) {
	if a.err != nil {
		f.end(ls, ls.endErr(a.err))
		return
	}
	fp := ls.take(a.resp.GetSequence())
	if fp == nil {
		f.end(ls, fmt.Errorf("forward to broker %d: answer for sequence %d, which was not sent", ls.id, a.resp.GetSequence()))
		return
	}
	base, err := produceResult(a.resp)
	if err == nil {
		f.target = ls.id
		fp.finish(base, nil)
		return
	}
	fp.err = err
	ls.failed = append(ls.failed, fp)
	if !ls.broken {
		ls.broken = true
		_ = ls.stream.CloseSend() // the leader still answers what it has
	}
}

// take marks the part with seq answered and returns it (nil if unknown).
func (ls *leaderStream) take(seq uint64) *fwdPart {
	if len(ls.sent) == 0 || seq < ls.sent[0].seq || seq-ls.sent[0].seq >= uint64(len(ls.sent)) {
		return nil
	}
	fp := ls.sent[seq-ls.sent[0].seq]
	if fp.answered {
		return nil
	}
	fp.answered = true
	for len(ls.sent) > 0 && ls.sent[0].answered {
		ls.sent[0] = nil
		ls.sent = ls.sent[1:]
	}
	if len(ls.sent) == 0 {
		ls.watch.Stop()
	} else {
		ls.watch.Reset(forwardTimeout)
	}
	return fp
}

// end fails every unanswered part of a stream that ended: they may have
// been stored, so they are not sent again.
func (f *forwarder) end(ls *leaderStream, err error) {
	for _, fp := range ls.sent {
		if !fp.answered {
			fp.err = err
			ls.failed = append(ls.failed, fp)
		}
	}
	ls.sent, ls.broken = nil, true
	ls.cancel(err)
}

// endErr describes why a leader stream ended.
func (ls *leaderStream) endErr(err error) error {
	switch {
	case errors.Is(context.Cause(ls.ctx), errLeaderSlow):
		return status.Errorf(codes.DeadlineExceeded, "forward to broker %d: %v (%s)", ls.id, errLeaderSlow, forwardTimeout)
	case errors.Is(err, io.EOF):
		return status.Errorf(codes.Unavailable, "forward to broker %d: the leader ended the stream", ls.id)
	}
	return fmt.Errorf("forward to broker %d: %w", ls.id, err)
}

// settle closes a stream whose parts are all answered after a failure, and
// finishes the failed parts in the order sent: a not-leader refusal is sent
// again to the leader it names, one at a time, until one such retry fails.
func (f *forwarder) settle() {
	ls := f.to
	f.to, f.target = nil, 0
	ls.close()
	slices.SortFunc(ls.failed, func(a, b *fwdPart) int { return cmp.Compare(a.seq, b.seq) })
	retry := true
	for _, fp := range ls.failed {
		var nl *notLeaderError
		if !retry || !errors.As(fp.err, &nl) {
			fp.finish(-1, fp.err)
			continue
		}
		lead := nl.leader
		if lead == f.fs.b.cfg.NodeID {
			lead = 0
		}
		base, by, err := f.fs.b.forwardProduce(f.fs.ctx, fp.topic, fp.pt, fp.acks, lead)
		if err != nil {
			retry = false
		} else {
			f.target = by
		}
		fp.finish(base, err)
	}
}

// close ends the stream, whose parts are all answered.
func (ls *leaderStream) close() {
	ls.watch.Stop()
	if !ls.broken {
		_ = ls.stream.CloseSend()
	}
	ls.cancel(context.Canceled)
	<-ls.done
}
