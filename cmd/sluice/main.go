// Command sluice is the Sluice broker and its command-line client.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
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
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "sluice: %s\n", errorMessage(err, g.broker))
	var ue *usageError
	// cobra checks required flags itself, after the flag error hook.
	if (errors.As(err, &ue) || strings.HasPrefix(err.Error(), "required flag(s)")) && cmd != nil {
		fmt.Fprint(stderr, usageLine(cmd))
	}
	return 1
}

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "sluice",
		Short: "Sluice event-streaming broker and client",
		// run prints the one-line error itself; cobra would add usage and a
		// second copy of the message.
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		RunE:          subcommandsOnly,
		// Every command but serve and dev talks to a broker: --broker is
		// checked (and given its default port) once, here.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return g.checkBroker(cmd) },
	}
	// The commands that group others run only to refuse an unknown
	// subcommand: their usage shows "sluice topic [command]", not a
	// runnable "sluice topic [flags]".
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	// A bad flag is a usage error: its message is followed by the usage line.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	g.addFlags(root)
	root.SetHelpCommand(newHelpCmd())
	root.AddCommand(
		withoutBroker(newServeCmd()),
		newTopicCmd(g),
		newProduceCmd(g),
		newConsumeCmd(g),
		newGroupCmd(g),
		newQuotaCmd(g),
		newACLCmd(g),
		newBenchCmd(g),
		newClusterCmd(g), withoutBroker(newDevCmd()),
		newUserCmd(g),
		withoutBroker(newVersionCmd()),
	)
	plainArgs(root)
	return root
}

// plainArgs holds every command to the CLI's argument rules, commands
// other files add included: a command that only groups others refuses an
// unknown subcommand (cobra prints the help and exits 0), and a wrong
// number of arguments is a usage error that names what is missing.
func plainArgs(c *cobra.Command) {
	switch {
	case c.HasSubCommands() && c.Run == nil && c.RunE == nil:
		c.Args, c.RunE = cobra.ArbitraryArgs, subcommandsOnly
	case c.Args != nil:
		check := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			err := check(cmd, args)
			var ue *usageError
			if err == nil || errors.As(err, &ue) {
				return err
			}
			if uerr := useArgs(cmd, args); uerr != nil {
				return uerr
			}
			return &usageError{err}
		}
	}
	for _, sub := range c.Commands() {
		plainArgs(sub)
	}
}

// newHelpCmd is cobra's help command, except that help for a command that
// does not exist is an error (cobra prints the root's help and exits 0).
func newHelpCmd() *cobra.Command {
	return withoutBroker(&cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return usageErrorf("unknown command %q for %q", strings.Join(args, " "), cmd.Root().Name())
			}
			return target.Help()
		},
	})
}
