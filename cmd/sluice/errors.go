package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The CLI's errors are turned into the one "sluice: ..." line here and
// nowhere else: commands return Go errors (gRPC statuses included, wrapped
// or not), and errorMessage says in plain words what went wrong and, where
// the status alone would leave a new user guessing, what to do.

// usageError is a command line the command cannot run: a missing or extra
// argument, an unknown flag or subcommand. run prints the command's usage
// line after it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// useArgs is cobra.ExactArgs for the arguments the command's Use line names
// (the upper-case words before the first flag: "create NAME" takes one), with
// a message that names what is missing or extra.
func useArgs(cmd *cobra.Command, args []string) error {
	var names []string
	for _, w := range strings.Fields(cmd.Use)[1:] {
		if w != strings.ToUpper(w) || strings.ContainsAny(w, "-[](|") {
			break // a flag or an optional part: the arguments end
		}
		names = append(names, w)
	}
	switch {
	case len(args) < len(names):
		return usageErrorf("%s: missing %s", commandName(cmd), strings.Join(names[len(args):], " and "))
	case len(args) > len(names) && len(names) == 0:
		return usageErrorf("%s takes no arguments (got %q)", commandName(cmd), strings.Join(args, " "))
	case len(args) > len(names):
		return usageErrorf("%s takes only %s (got %d arguments: %q)", commandName(cmd),
			strings.Join(names, " "), len(args), strings.Join(args, " "))
	}
	return nil
}

// commandName is the command's path without the leading "sluice", which
// the error line starts with anyway.
func commandName(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return cmd.Name()
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// usageLine is what follows a usage error: how the command is called, and
// where its help is.
func usageLine(cmd *cobra.Command) string {
	line := cmd.UseLine()
	if cmd.HasAvailableSubCommands() {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		line = fmt.Sprintf("%s COMMAND (%s)", cmd.CommandPath(), strings.Join(names, ", "))
	}
	return fmt.Sprintf("Usage: %s\nRun '%s --help' for more.\n", line, cmd.CommandPath())
}

// subcommandsOnly is the RunE of a command that only groups subcommands
// (topic, group, cluster, bench): with no argument it prints its help, an
// unknown subcommand is an error (cobra would print the help and exit 0).
func subcommandsOnly(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only when it looks itself
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return &usageError{errors.New(msg)}
}

// errorMessage renders err for the one-line "sluice: ..." report. A gRPC
// status already carries a message written for people (it names the topic,
// partition or limit), so the status message replaces Go's "rpc error: code
// = ..." rendering and the wrapping context, which would only repeat it. The
// statuses a broker does not write itself (the client could not connect, the
// call timed out, the broker does not know the call) become plain words here.
func errorMessage(err error, broker string) string {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return err.Error()
	}
	st := se.GRPCStatus()
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		if reason, ok := connectFailure(msg); ok {
			if hint := tlsHint(msg); hint != "" {
				return fmt.Sprintf("cannot reach the broker at %s: %s%s", broker, reason, hint)
			}
			return fmt.Sprintf("cannot reach the broker at %s: %s (is `sluice serve` running there? --broker or %s names it)",
				broker, reason, brokerEnv)
		}
		if lostConnection(msg) {
			return fmt.Sprintf("lost the connection to the broker at %s (did it stop?)", broker)
		}
		if msg == "" {
			return fmt.Sprintf("the broker at %s is unavailable; retry", broker)
		}
	case codes.DeadlineExceeded:
		if msg == "" || strings.Contains(msg, "context deadline exceeded") {
			return fmt.Sprintf("the broker at %s did not answer in time", broker)
		}
	case codes.Canceled:
		if msg == "" || strings.Contains(msg, "context canceled") {
			return "interrupted"
		}
	case codes.Unimplemented:
		if msg == "" || strings.HasPrefix(msg, "unknown service") || strings.HasPrefix(msg, "unknown method") ||
			strings.Contains(msg, "not implemented") {
			return fmt.Sprintf("the broker at %s does not support this request (is it an older Sluice, or not Sluice?): %s", broker, msg)
		}
	case codes.Unauthenticated:
		if msg == "" {
			return fmt.Sprintf("the broker at %s wants credentials", broker)
		}
	case codes.PermissionDenied:
		if msg == "" {
			return fmt.Sprintf("the broker at %s refused: permission denied", broker)
		}
	case codes.Internal, codes.Unknown, codes.DataLoss:
		// A message of the broker's own: say it is a fault, not the user's,
		// and give the request id its log line has.
		if msg == "" {
			msg = st.Code().String()
		}
		var ride *requestIDError
		if errors.As(err, &ride) {
			return fmt.Sprintf("the broker failed: %s (request id %s: the broker's log has it)", msg, ride.id)
		}
		return "the broker failed: " + msg
	}
	if msg == "" {
		msg = st.Code().String()
	}
	return msg
}

// lostConnection recognises gRPC's texts for a connection that broke while
// a call was under way.
func lostConnection(msg string) bool {
	for _, s := range []string{"error reading from server", "transport is closing", "the connection is draining",
		"connection reset by peer", "broken pipe"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// connectFailure recognises gRPC's "the connection could not be made"
// texts (`connection error: desc = "transport: Error while dialing: dial
// tcp ...: connect: connection refused"`) and says why in a few words.
func connectFailure(msg string) (string, bool) {
	if !strings.Contains(msg, "connection error") && !strings.Contains(msg, "Error while dialing") &&
		!strings.Contains(msg, "dial tcp") && !strings.Contains(msg, "name resolver") && !strings.Contains(msg, "produced zero addresses") {
		return "", false
	}
	for _, known := range []struct{ text, plain string }{
		{"connection refused", "connection refused"},
		{"no such host", "no such host"},
		{"i/o timeout", "the connection timed out"},
		{"network is unreachable", "the network is unreachable"},
		{"no route to host", "no route to host"},
		{"connection reset", "the connection was reset"},
		{"produced zero addresses", "the address resolves to nothing"},
		{"missing port", "the address has no port"},
		{"first record does not look like a TLS handshake", "the broker does not speak TLS"},
		{"http2: frame too large", "whatever listens there does not speak gRPC"},
		{"error reading server preface", "the broker's first answer was not gRPC"},
	} {
		if strings.Contains(msg, known.text) {
			return known.plain, true
		}
	}
	// Unrecognised: the last part of the text is the operating system's reason.
	reason := msg
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:]
	}
	return strings.Trim(reason, `"`), true
}
