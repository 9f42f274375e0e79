package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
)

// clusterResource is the name of the cluster resource (server/authz.ClusterName).
const clusterResource = "sluice-cluster"

// authzOptions are the serve flags of authorization (docs/security.md).
type authzOptions struct {
	authorizer   string
	superUsers   string
	allowIfNoACL bool
}

func addAuthzFlags(cmd *cobra.Command, o *authzOptions) {
	f := cmd.Flags()
	f.StringVar(&o.authorizer, "authorizer", "off", "`on` to allow each request only what the ACLs grant its principal (sluice acl); off allows everything")
	f.StringVar(&o.superUsers, "super-users", "", "principals allowed everything when --authorizer is on, as `User:admin,User:ops` (',' or ';' between them)")
	f.BoolVar(&o.allowIfNoACL, "allow-everyone-if-no-acl-found", false, "with --authorizer on, allow any operation on a resource no ACL names")
}

// apply sets the broker's authorization configuration from the flags.
func (o *authzOptions) apply(c *server.Config) error {
	switch strings.ToLower(o.authorizer) {
	case "off", "":
	case "on":
		c.Authorization = true
	default:
		return fmt.Errorf("--authorizer: %q is neither on nor off", o.authorizer)
	}
	for _, p := range strings.FieldsFunc(o.superUsers, func(r rune) bool { return r == ',' || r == ';' }) {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if t, n, ok := strings.Cut(p, ":"); !ok || t == "" || n == "" {
			return fmt.Errorf("--super-users: %q is not a principal of the form Type:Name (User:admin)", p)
		}
		c.SuperUsers = append(c.SuperUsers, p)
	}
	c.AllowEveryoneIfNoACL = o.allowIfNoACL
	return nil
}

func newACLCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acl",
		Short: "Create, delete and list ACLs (Kafka's model; the broker enforces them with --authorizer on)",
	}
	cmd.AddCommand(newACLCreateCmd(g), newACLDeleteCmd(g), newACLListCmd(g))
	return cmd
}

// aclFlags are the flags of the acl commands, as kafka-acls names them.
type aclFlags struct {
	allow, deny       []string
	principal         string
	host              string
	operations        []string
	topics, groups    []string
	cluster           bool
	pattern           string
	defaultPattern    string
	principalRequired bool
}

func (a *aclFlags) add(cmd *cobra.Command, create bool) {
	f := cmd.Flags()
	f.StringArrayVar(&a.allow, "allow-principal", nil, "`PRINCIPAL` (User:alice, User:* for everyone) the ACL allows (repeatable)")
	f.StringArrayVar(&a.deny, "deny-principal", nil, "`PRINCIPAL` the ACL denies (repeatable)")
	f.StringArrayVar(&a.operations, "operation", nil, "`OP`: Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All (repeatable)")
	f.StringArrayVar(&a.topics, "topic", nil, "`TOPIC` name, prefix (with --resource-pattern-type prefixed) or * (repeatable)")
	f.StringArrayVar(&a.groups, "group", nil, "consumer `GROUP` name, prefix or * (repeatable)")
	f.BoolVar(&a.cluster, "cluster", false, "the cluster resource")
	if create {
		f.StringVar(&a.host, "host", "*", "client `IP` address the ACL applies to; * is any")
		f.StringVar(&a.pattern, "resource-pattern-type", "literal", "`TYPE` of the resource names: literal or prefixed")
	} else {
		f.StringVar(&a.host, "host", "", "only ACLs of this client `IP` address (* is the any-host ACLs)")
		f.StringVar(&a.principal, "principal", "", "only ACLs of this `PRINCIPAL`, allow or deny")
		f.StringVar(&a.pattern, "resource-pattern-type", a.defaultPattern, "`TYPE`: literal, prefixed, any, or match (every ACL that applies to the named resource)")
	}
}

type aclResource struct {
	typ  sluicev1.AclResourceType
	name string
}

func (a *aclFlags) resources() []aclResource {
	var out []aclResource
	for _, t := range a.topics {
		out = append(out, aclResource{sluicev1.AclResourceType_ACL_RESOURCE_TYPE_TOPIC, t})
	}
	for _, gr := range a.groups {
		out = append(out, aclResource{sluicev1.AclResourceType_ACL_RESOURCE_TYPE_GROUP, gr})
	}
	if a.cluster {
		out = append(out, aclResource{sluicev1.AclResourceType_ACL_RESOURCE_TYPE_CLUSTER, clusterResource})
	}
	return out
}

type aclPrincipal struct {
	name string
	perm sluicev1.AclPermission
}

func (a *aclFlags) principals() []aclPrincipal {
	var out []aclPrincipal
	for _, p := range a.allow {
		out = append(out, aclPrincipal{p, sluicev1.AclPermission_ACL_PERMISSION_ALLOW})
	}
	for _, p := range a.deny {
		out = append(out, aclPrincipal{p, sluicev1.AclPermission_ACL_PERMISSION_DENY})
	}
	return out
}

// parseOperation reads "Read", "READ", "describe-configs", "DescribeConfigs".
func parseOperation(s string) (sluicev1.AclOperation, error) {
	norm := func(x string) string { return strings.NewReplacer("_", "", "-", "").Replace(strings.ToUpper(x)) }
	want := norm(s)
	for v, name := range sluicev1.AclOperation_name {
		if v != 0 && norm(strings.TrimPrefix(name, "ACL_OPERATION_")) == want {
			return sluicev1.AclOperation(v), nil
		}
	}
	return 0, fmt.Errorf("--operation: unknown operation %q (Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All)", s)
}

func (a *aclFlags) parseOperations() ([]sluicev1.AclOperation, error) {
	var out []sluicev1.AclOperation
	for _, s := range a.operations {
		op, err := parseOperation(s)
		if err != nil {
			return nil, err
		}
		out = append(out, op)
	}
	return out, nil
}

func parsePattern(s string, filter bool) (sluicev1.AclPatternType, error) {
	switch strings.ToLower(s) {
	case "literal":
		return sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL, nil
	case "prefixed":
		return sluicev1.AclPatternType_ACL_PATTERN_TYPE_PREFIXED, nil
	case "any":
		if filter {
			return sluicev1.AclPatternType_ACL_PATTERN_TYPE_UNSPECIFIED, nil
		}
	case "match":
		if filter {
			return sluicev1.AclPatternType_ACL_PATTERN_TYPE_MATCH, nil
		}
	}
	if filter {
		return 0, fmt.Errorf("--resource-pattern-type: %q is not literal, prefixed, any or match", s)
	}
	return 0, fmt.Errorf("--resource-pattern-type: %q is not literal or prefixed", s)
}

func newACLCreateCmd(g *globalOptions) *cobra.Command {
	a := &aclFlags{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create ACLs: each principal gets each operation on each resource",
		Example: "  sluice acl create --allow-principal User:alice --operation Write --topic orders\n" +
			"  sluice acl create --allow-principal User:bob --operation Read --topic team-a. --resource-pattern-type prefixed\n" +
			"  sluice acl create --deny-principal User:mallory --operation All --topic '*'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ops, err := a.parseOperations()
			if err != nil {
				return err
			}
			pattern, err := parsePattern(a.pattern, false)
			if err != nil {
				return err
			}
			principals, resources := a.principals(), a.resources()
			switch {
			case len(principals) == 0:
				return errors.New("name at least one --allow-principal or --deny-principal")
			case len(ops) == 0:
				return errors.New("name at least one --operation")
			case len(resources) == 0:
				return errors.New("name at least one --topic, --group or --cluster")
			}
			req := &sluicev1.CreateAclsRequest{}
			for _, r := range resources {
				for _, p := range principals {
					for _, op := range ops {
						pt := pattern
						if r.typ == sluicev1.AclResourceType_ACL_RESOURCE_TYPE_CLUSTER {
							pt = sluicev1.AclPatternType_ACL_PATTERN_TYPE_LITERAL
						}
						req.Acls = append(req.Acls, &sluicev1.AclBinding{ResourceType: r.typ, ResourceName: r.name, PatternType: pt,
							Principal: p.name, Host: a.host, Operation: op, Permission: p.perm})
					}
				}
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				if _, err := c.CreateAcls(cmd.Context(), req); err != nil {
					return fmt.Errorf("create ACLs: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created %d ACL(s)\n", len(req.GetAcls()))
				return printACLs(cmd.OutOrStdout(), req.GetAcls())
			})
		},
	}
	a.add(cmd, true)
	return cmd
}

// filters is the product of the flags given, each left out matching anything.
func (a *aclFlags) filters() ([]*sluicev1.AclFilter, error) {
	ops, err := a.parseOperations()
	if err != nil {
		return nil, err
	}
	pattern, err := parsePattern(a.pattern, true)
	if err != nil {
		return nil, err
	}
	resources := a.resources()
	if len(resources) == 0 {
		resources = []aclResource{{}}
	}
	principals := a.principals()
	if a.principal != "" {
		principals = append(principals, aclPrincipal{name: a.principal})
	}
	if len(principals) == 0 {
		principals = []aclPrincipal{{}}
	}
	if len(ops) == 0 {
		ops = []sluicev1.AclOperation{sluicev1.AclOperation_ACL_OPERATION_UNSPECIFIED}
	}
	var out []*sluicev1.AclFilter
	for _, r := range resources {
		pt := pattern
		if r.name == "" && pt != sluicev1.AclPatternType_ACL_PATTERN_TYPE_MATCH {
			pt = sluicev1.AclPatternType_ACL_PATTERN_TYPE_UNSPECIFIED
		}
		for _, p := range principals {
			for _, op := range ops {
				out = append(out, &sluicev1.AclFilter{ResourceType: r.typ, ResourceName: r.name, PatternType: pt,
					Principal: p.name, Host: a.host, Operation: op, Permission: p.perm})
			}
		}
	}
	return out, nil
}

func newACLDeleteCmd(g *globalOptions) *cobra.Command {
	a := &aclFlags{defaultPattern: "literal"}
	cmd := &cobra.Command{
		Use:     "delete",
		Short:   "Delete the ACLs the flags select (a flag left out matches anything) and list them",
		Example: "  sluice acl delete --topic orders --allow-principal User:alice --operation Write\n  sluice acl delete --principal User:bob",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(a.resources()) == 0 && len(a.principals()) == 0 && a.principal == "" && len(a.operations) == 0 {
				return errors.New("name the ACLs to delete: a --topic, --group, --cluster, --principal, --allow-principal, --deny-principal or --operation")
			}
			filters, err := a.filters()
			if err != nil {
				return err
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.DeleteAcls(cmd.Context(), &sluicev1.DeleteAclsRequest{Filters: filters})
				if err != nil {
					return fmt.Errorf("delete ACLs: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %d ACL(s)\n", len(resp.GetDeleted()))
				if len(resp.GetDeleted()) == 0 {
					return nil
				}
				return printACLs(cmd.OutOrStdout(), resp.GetDeleted())
			})
		},
	}
	a.add(cmd, false)
	return cmd
}

func newACLListCmd(g *globalOptions) *cobra.Command {
	a := &aclFlags{defaultPattern: "any"}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List ACLs, all or those the flags select",
		Example: "  sluice acl list\n  sluice acl list --topic orders --resource-pattern-type match",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filters, err := a.filters()
			if err != nil {
				return err
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				var acls []*sluicev1.AclBinding
				seen := map[string]bool{}
				for _, f := range filters {
					resp, err := c.ListAcls(cmd.Context(), &sluicev1.ListAclsRequest{Filter: f})
					if err != nil {
						return fmt.Errorf("list ACLs: %w", err)
					}
					for _, b := range resp.GetAcls() {
						if k := b.String(); !seen[k] {
							seen[k] = true
							acls = append(acls, b)
						}
					}
				}
				return printACLs(cmd.OutOrStdout(), acls)
			})
		},
	}
	a.add(cmd, false)
	return cmd
}

// enumWord is "WRITE" for ACL_OPERATION_WRITE.
func enumWord(s, prefix string) string { return strings.TrimPrefix(s, prefix) }

func printACLs(out io.Writer, acls []*sluicev1.AclBinding) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tPERMISSION\tOPERATION\tHOST\tRESOURCE\tNAME\tPATTERN")
	for _, b := range acls {
		host := b.GetHost()
		if host == "" {
			host = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.GetPrincipal(),
			enumWord(b.GetPermission().String(), "ACL_PERMISSION_"), enumWord(b.GetOperation().String(), "ACL_OPERATION_"), host,
			enumWord(b.GetResourceType().String(), "ACL_RESOURCE_TYPE_"), b.GetResourceName(),
			enumWord(b.GetPatternType().String(), "ACL_PATTERN_TYPE_"))
	}
	return tw.Flush()
}
