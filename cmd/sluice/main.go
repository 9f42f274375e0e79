// Command sluice is the Sluice broker and its command-line client.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code. It takes its
// streams as arguments so tests can drive the whole CLI in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// The first SIGINT/SIGTERM cancels the command's context so it can flush and
	// exit cleanly; stop restores the default handling so a second one kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	g := &globalOptions{}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "sluice: %s\n", errorMessage(err, g.broker))
		return 1
	}
	return 0
}

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "sluice",
		Short: "Sluice event-streaming broker and client",
		// run prints the one-line error itself; cobra would add usage and a
		// second copy of the message.
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.addFlags(root)
	root.AddCommand(
		newServeCmd(),
		newTopicCmd(g),
		newProduceCmd(g),
		newConsumeCmd(g),
		newGroupCmd(g),
		newQuotaCmd(g),
		newACLCmd(g),
		newBenchCmd(g),
		newClusterCmd(g), newDevCmd(),
		newUserCmd(g),
		newVersionCmd(),
	)
	return root
}

// errorMessage renders err for the one-line "sluice: ..." report. A gRPC status
// already carries a message written for people (it names the topic, partition or
// limit), so the status message replaces Go's "rpc error: code = ..." rendering
// and the wrapping context, which would only repeat it.
func errorMessage(err error, broker string) string {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return err.Error()
	}
	st := se.GRPCStatus()
	msg := st.Message()
	if msg == "" {
		msg = st.Code().String()
	}
	if st.Code() == codes.Unavailable {
		// Usually the client could not connect: say where it tried.
		return fmt.Sprintf("broker %s unavailable: %s%s", broker, msg, tlsHint(msg))
	}
	return msg
}
