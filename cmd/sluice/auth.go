package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"google.golang.org/grpc"

	sluice "github.com/sluice-io/sluice/clients/go"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/security"
)

const (
	userEnv              = "SLUICE_USER"
	passwordEnv          = "SLUICE_PASSWORD"
	bootstrapPasswordEnv = "SLUICE_BOOTSTRAP_PASSWORD"
)

// authOptions are the client commands' credentials: with --user set, every
// command runs the SCRAM exchange of AuthService once and sends the token.
type authOptions struct {
	user, password, mechanism string
	creds                     *sluice.SCRAMCredentials
}

func (a *authOptions) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.user, "user", os.Getenv(userEnv), "authenticate as `USER` with SCRAM (env "+userEnv+")")
	f.StringVar(&a.password, "password", "", "the user's password (env "+passwordEnv+", preferred: a flag shows in the process list; asked on the terminal when neither is set)")
	f.StringVar(&a.mechanism, "auth-mechanism", "SCRAM-SHA-256", "SCRAM-SHA-256 or SCRAM-SHA-512")
}

// dialOptions are what a connection to broker needs to authenticate; one
// credential (one token) serves every connection of the command.
func (a *authOptions) dialOptions(cmd *cobra.Command, broker string) ([]grpc.DialOption, error) {
	if a.user == "" {
		return nil, nil
	}
	if a.creds == nil {
		pw, err := a.passwordFor(cmd)
		if err != nil {
			return nil, err
		}
		creds, err := sluice.NewSCRAMCredentials([]string{broker}, a.user, pw, sluice.Mechanism(strings.ToUpper(a.mechanism)))
		if err != nil {
			return nil, err
		}
		a.creds = creds
	}
	return a.creds.DialOptions(), nil
}

func (a *authOptions) passwordFor(cmd *cobra.Command) (string, error) {
	if a.password != "" {
		return a.password, nil
	}
	if pw := os.Getenv(passwordEnv); pw != "" {
		return pw, nil
	}
	return askPassword(cmd, fmt.Sprintf("password for %s: ", a.user))
}

// sdkOptions authenticate an SDK client as the flags say.
func (a *authOptions) sdkOptions(cmd *cobra.Command) ([]sluice.Option, error) {
	if a.user == "" {
		return nil, nil
	}
	pw, err := a.passwordFor(cmd)
	if err != nil {
		return nil, err
	}
	return []sluice.Option{sluice.WithSCRAM(a.user, pw, sluice.Mechanism(strings.ToUpper(a.mechanism)))}, nil
}

// askPassword reads a password from the terminal without echo, or a line
// of the command's input when it is not a terminal.
func askPassword(cmd *cobra.Command, prompt string) (string, error) {
	if cmd == nil {
		return "", errors.New("no password given: use --password or " + passwordEnv)
	}
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(pw), nil
	}
	return readPasswordLine(in)
}

// readPasswordLine reads one line (--password-stdin, or input that is
// not a terminal).
func readPasswordLine(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password given: use --password-stdin with the password on the input, " + passwordEnv + ", or a terminal")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// serveAuthOptions are sluice serve's authentication flags.
type serveAuthOptions struct {
	mechanisms            string
	cfg                   server.AuthConfig
	bootstrapUser         string
	bootstrapPasswordFile string
}

func addServeAuthFlags(cmd *cobra.Command, o *serveAuthOptions) {
	f := cmd.Flags()
	f.StringVar(&o.mechanisms, "authentication", "none", "how clients prove who they are: none, scram (users: AuthService tokens and Basic credentials), mtls (client certificates), or scram,mtls")
	f.DurationVar(&o.cfg.TokenLifetime, "token-lifetime", 0, "how long a token AuthService issues is accepted (0: 1h)")
	f.DurationVar(&o.cfg.KeyRotation, "auth-key-rotation", 0, "how often the controller replaces the cluster's token-signing key, at least --token-lifetime (0: never)")
	f.StringVar(&o.bootstrapUser, "bootstrap-user", "", "create this SCRAM user at start unless it exists (the first user of a cluster); password from env "+bootstrapPasswordEnv+" or --bootstrap-password-file")
	f.StringVar(&o.bootstrapPasswordFile, "bootstrap-password-file", "", "file holding the --bootstrap-user's password (one line)")
}

// config is the broker's authentication configuration from the flags.
func (o *serveAuthOptions) config() (server.AuthConfig, error) {
	cfg := o.cfg
	for _, m := range strings.Split(o.mechanisms, ",") {
		switch m = strings.TrimSpace(strings.ToLower(m)); m {
		case "", "none":
		case server.AuthSCRAM, server.AuthMTLS:
			cfg.Mechanisms = append(cfg.Mechanisms, m)
		default:
			return cfg, fmt.Errorf("--authentication %q: want none, scram, mtls or scram,mtls", m)
		}
	}
	if o.bootstrapUser == "" {
		return cfg, nil
	}
	pw := os.Getenv(bootstrapPasswordEnv)
	if o.bootstrapPasswordFile != "" {
		raw, err := os.ReadFile(o.bootstrapPasswordFile)
		if err != nil {
			return cfg, fmt.Errorf("--bootstrap-password-file: %w", err)
		}
		pw = strings.TrimRight(string(raw), "\r\n")
	}
	if pw == "" {
		return cfg, fmt.Errorf("--bootstrap-user %s needs a password: set %s or --bootstrap-password-file", o.bootstrapUser, bootstrapPasswordEnv)
	}
	mech, err := security.ParseMechanism("SCRAM-SHA-256")
	if err != nil {
		return cfg, err
	}
	cfg.BootstrapUsers = append(cfg.BootstrapUsers, server.BootstrapUser{Name: o.bootstrapUser, Password: pw, Mechanism: mech})
	return cfg, nil
}
