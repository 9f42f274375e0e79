package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are stamped by `make build`:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=<git rev-parse HEAD>"
//
// Without them the version is the module version Go stamped into the binary
// and the commit is the vcs.revision Go records when it builds in a git
// checkout.
var (
	version = ""
	commit  = ""
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit it was built from, and the Go version",
		Args:  useArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return err
		},
	}
}

// versionLine is "sluice v1.2.3 (commit 8cdc25b1a2b3, go1.25.0 linux/amd64)";
// a commit with uncommitted changes is marked "modified".
func versionLine() string {
	v, c, modified := buildVersion()
	switch {
	case c == "":
		c = "commit unknown"
	case modified:
		c = "commit " + c + ", modified"
	default:
		c = "commit " + c
	}
	return fmt.Sprintf("sluice %s (%s, %s %s/%s)", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildVersion returns the version, the commit (12 hex digits) and whether
// the tree had uncommitted changes (known only from Go's vcs stamp).
func buildVersion() (v, c string, modified bool) {
	v, c = version, commit
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if len(c) > 12 {
		c = c[:12]
	}
	return v, c, modified
}
