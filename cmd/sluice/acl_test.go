package main

import (
	"strings"
	"testing"

	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestACLCommandsCreateListAndDelete drives sluice acl against a broker with
// authorization on, the CLI's anonymous caller being the super user.
func TestACLCommandsCreateListAndDelete(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) {
		c.Authorization = true
		c.SuperUsers = []string{"User:ANONYMOUS"}
	}))
	broker := "--broker=" + b.Addr
	r := runCLI(t, nil, broker, "acl", "create", "--allow-principal", "User:alice", "--operation", "Write",
		"--operation", "describe-configs", "--topic", "orders")
	if r.code != 0 || !strings.Contains(r.stdout, "created 2 ACL(s)") {
		t.Fatalf("create: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, broker, "acl", "create", "--deny-principal", "User:bob", "--operation", "Read",
		"--topic", "ord", "--resource-pattern-type", "prefixed", "--host", "10.0.0.1")
	if r.code != 0 {
		t.Fatalf("create prefixed deny: code %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, broker, "acl", "list")
	for _, want := range []string{
		"PRINCIPAL   PERMISSION  OPERATION         HOST      RESOURCE  NAME    PATTERN",
		"User:alice  ALLOW       WRITE             *         TOPIC     orders  LITERAL",
		"User:alice  ALLOW       DESCRIBE_CONFIGS  *         TOPIC     orders  LITERAL",
		"User:bob    DENY        READ              10.0.0.1  TOPIC     ord     PREFIXED",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, r.stdout)
		}
	}
	// match: every ACL that applies to topic orders, the prefix one too.
	r = runCLI(t, nil, broker, "acl", "list", "--topic", "orders", "--resource-pattern-type", "match")
	if n := strings.Count(r.stdout, "\n"); r.code != 0 || n != 4 {
		t.Errorf("list --topic orders --resource-pattern-type match: code %d, %d lines, want header and 3:\n%s%s", r.code, n, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, broker, "acl", "delete", "--principal", "User:alice", "--topic", "orders")
	if r.code != 0 || !strings.Contains(r.stdout, "deleted 2 ACL(s)") {
		t.Fatalf("delete: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, broker, "acl", "list")
	if strings.Contains(r.stdout, "User:alice") || !strings.Contains(r.stdout, "User:bob") {
		t.Errorf("after deleting alice's ACLs, list shows:\n%s", r.stdout)
	}
	for _, args := range [][]string{
		{"acl", "create", "--allow-principal", "User:alice", "--operation", "Fly", "--topic", "t"},
		{"acl", "create", "--allow-principal", "alice", "--operation", "Read", "--topic", "t"},
		{"acl", "create", "--operation", "Read", "--topic", "t"},
		{"acl", "delete"},
	} {
		if r := runCLI(t, nil, append([]string{broker}, args...)...); r.code == 0 || r.stderr == "" {
			t.Errorf("%q succeeded; want an error", args)
		}
	}
}

func TestAuthorizerFlags(t *testing.T) {
	var c server.Config
	o := authzOptions{authorizer: "on", superUsers: "User:admin; User:ops,User:x"}
	if err := o.apply(&c); err != nil || !c.Authorization || len(c.SuperUsers) != 3 {
		t.Fatalf("apply: %v, config %+v", err, c)
	}
	for _, bad := range []authzOptions{{authorizer: "yes"}, {authorizer: "on", superUsers: "admin"}} {
		if err := bad.apply(&server.Config{}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	var off server.Config
	if err := (&authzOptions{authorizer: "off"}).apply(&off); err != nil || off.Authorization {
		t.Errorf("off: %v, authorization %v", err, off.Authorization)
	}
}
