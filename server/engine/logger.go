package engine

import (
	"fmt"
	"log/slog"
	"sync/atomic"
)

// raftLogger routes etcd-raft's logging to slog. Raft logs elections and
// leadership changes at info level; they are kept at debug so that a broker with
// thousands of groups does not flood its log.
//
// It also counts the campaigns raft starts: raft reports each (whatever
// started it: an election timeout, a forced campaign, a leadership transfer)
// with exactly one info line, electionStarted, and offers no other hook. An
// upgrade of etcd-raft that changes the line shows in TestElectionsCounted.
type raftLogger struct {
	l         *slog.Logger
	elections *atomic.Uint64
}

// electionStarted is the format of raft's line in raft.hup.
const electionStarted = "%x is starting a new election at term %d"

func (r raftLogger) Debug(v ...any)                 { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Debugf(format string, v ...any) { r.l.Debug(fmt.Sprintf(format, v...)) }
func (r raftLogger) Info(v ...any)                  { r.l.Debug(fmt.Sprint(v...)) }
func (r raftLogger) Infof(format string, v ...any) {
	if format == electionStarted && r.elections != nil {
		r.elections.Add(1)
	}
	r.l.Debug(fmt.Sprintf(format, v...))
}
func (r raftLogger) Warning(v ...any) { r.l.Warn(fmt.Sprint(v...)) }
func (r raftLogger) Warningf(format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}
func (r raftLogger) Error(v ...any)                 { r.l.Error(fmt.Sprint(v...)) }
func (r raftLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }

// Fatal and Panic are raft's reports of broken invariants (a corrupt log, a
// violated safety property). The raft.Logger contract requires that they do not
// return, and continuing would risk replicating corrupt state, so they panic; the
// broker's recovery turns that into a crash with the message logged.
func (r raftLogger) Fatal(v ...any) { r.Panic(v...) }
func (r raftLogger) Fatalf(format string, v ...any) {
	r.Panicf(format, v...)
}
func (r raftLogger) Panic(v ...any) {
	msg := fmt.Sprint(v...)
	r.l.Error(msg)
	panic(msg)
}
func (r raftLogger) Panicf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	r.l.Error(msg)
	panic(msg)
}
