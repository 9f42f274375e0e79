package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/security"
)

func newUserCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Create, list and delete SCRAM users",
	}
	cmd.AddCommand(newUserCreateCmd(g), newUserDeleteCmd(g), newUserListCmd(g))
	return cmd
}

func newUserCreateCmd(g *globalOptions) *cobra.Command {
	var (
		password   string
		fromStdin  bool
		mechanism  string
		iterations int
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user, or set its password for the mechanism (the CLI derives the SCRAM credential: the password is never sent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := security.CheckUserName(name); err != nil {
				return fmt.Errorf("user name %q: %w", name, err)
			}
			mech, err := security.ParseMechanism(mechanism)
			if err != nil {
				return fmt.Errorf("--mechanism: %w", err)
			}
			switch {
			case fromStdin && password != "":
				return fmt.Errorf("use --new-password or --password-stdin, not both")
			case fromStdin:
				if password, err = readPasswordLine(cmd.InOrStdin()); err != nil {
					return err
				}
			case password == "":
				if password, err = askPassword(cmd, fmt.Sprintf("new password for %s: ", name)); err != nil {
					return err
				}
			}
			if password == "" {
				return fmt.Errorf("the password of %s is empty", name)
			}
			cred, err := security.DeriveCredential(mech, name, password, iterations)
			if err != nil {
				return err
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				if _, err := c.CreateUser(cmd.Context(), &sluicev1.CreateUserRequest{Name: name, Mechanism: mech, Credential: cred}); err != nil {
					return fmt.Errorf("create user %q: %w", name, err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "created user %s (%s)\n", name, security.MechanismName(mech))
				return err
			})
		},
	}
	f := cmd.Flags()
	// Not --password: that is the CLI's own (the caller's) password.
	f.StringVar(&password, "new-password", "", "the new user's password (shows in the process list: prefer --password-stdin or the terminal prompt)")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the new user's password from the first line of standard input")
	f.StringVar(&mechanism, "mechanism", "SCRAM-SHA-256", "SCRAM-SHA-256 or SCRAM-SHA-512")
	f.IntVar(&iterations, "iterations", security.DefaultIterations, fmt.Sprintf("PBKDF2 iterations (at least %d)", security.MinIterations))
	return cmd
}

func newUserDeleteCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user; its tokens stop being accepted",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				if _, err := c.DeleteUser(cmd.Context(), &sluicev1.DeleteUserRequest{Name: args[0]}); err != nil {
					return fmt.Errorf("delete user %q: %w", args[0], err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "deleted user %s\n", args[0])
				return err
			})
		},
	}
}

func newUserListCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users and their mechanisms (never credentials)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.ListUsers(cmd.Context(), &sluicev1.ListUsersRequest{})
				if err != nil {
					return fmt.Errorf("list users: %w", err)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "USER\tMECHANISMS")
				for _, u := range resp.GetUsers() {
					var ms []string
					for _, m := range u.GetMechanisms() {
						ms = append(ms, security.MechanismName(m))
					}
					fmt.Fprintf(w, "%s\t%s\n", u.GetName(), strings.Join(ms, ","))
				}
				return w.Flush()
			})
		},
	}
}
