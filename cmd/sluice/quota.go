package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func newQuotaCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quota",
		Short: "Set, list and delete client quotas (per user and client id)",
		Long: "Client quotas limit produce bytes, fetch bytes and requests per second of a user, a client id\n" +
			"or both, on every broker; a client over one is throttled (its responses held back), never refused.\n" +
			"The most specific entity wins: user+client-id, user+default client id, user, default user+client-id,\n" +
			"default user+default client id, default user, client-id, default client id.",
	}
	cmd.AddCommand(newQuotaSetCmd(g), newQuotaListCmd(g), newQuotaDeleteCmd(g))
	return cmd
}

// entityFlags name a quota entity on the command line.
type entityFlags struct {
	user, clientID               string
	userDefault, clientIDDefault bool
}

func (e *entityFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&e.user, "user", "", "the user `NAME` (a principal; \"alice\" means User:alice)")
	f.BoolVar(&e.userDefault, "user-default", false, "the default user (every user no quota names)")
	f.StringVar(&e.clientID, "client-id", "", "the client `ID` (a call's sluice-client-id metadata)")
	f.BoolVar(&e.clientIDDefault, "client-id-default", false, "the default client id (every client id no quota names)")
}

func (e *entityFlags) entity(cmd *cobra.Command) (*sluicev1.QuotaEntity, error) {
	part := func(nameFlag, defFlag, name string, def bool) (*sluicev1.QuotaEntityPart, error) {
		named := cmd.Flags().Changed(nameFlag)
		switch {
		case named && def:
			return nil, fmt.Errorf("give --%s or --%s, not both", nameFlag, defFlag)
		case def:
			return &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_IsDefault{IsDefault: true}}, nil
		case named:
			return &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: name}}, nil
		}
		return nil, nil
	}
	user, err := part("user", "user-default", e.user, e.userDefault)
	if err != nil {
		return nil, err
	}
	client, err := part("client-id", "client-id-default", e.clientID, e.clientIDDefault)
	if err != nil {
		return nil, err
	}
	if user == nil && client == nil {
		return nil, errors.New("name the entity: --user, --user-default, --client-id or --client-id-default")
	}
	return &sluicev1.QuotaEntity{User: user, ClientId: client}, nil
}

func newQuotaSetCmd(g *globalOptions) *cobra.Command {
	var (
		e                  entityFlags
		produceRate, fetch int64
		requests           float64
	)
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Set limits of a user, a client id or both (limits not given are kept)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entity, err := e.entity(cmd)
			if err != nil {
				return err
			}
			v := &sluicev1.QuotaValues{}
			if cmd.Flags().Changed("produce-bytes-rate") {
				v.ProduceBytesRate = proto.Int64(produceRate)
			}
			if cmd.Flags().Changed("fetch-bytes-rate") {
				v.FetchBytesRate = proto.Int64(fetch)
			}
			if cmd.Flags().Changed("request-rate") {
				v.RequestRate = proto.Float64(requests)
			}
			if v.ProduceBytesRate == nil && v.FetchBytesRate == nil && v.RequestRate == nil {
				return errors.New("nothing to set: give --produce-bytes-rate, --fetch-bytes-rate or --request-rate")
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.SetQuota(cmd.Context(), &sluicev1.SetQuotaRequest{Entity: entity, Values: v})
				if err != nil {
					return fmt.Errorf("set quota: %w", err)
				}
				return printQuotas(cmd.OutOrStdout(), []*sluicev1.Quota{resp.GetQuota()})
			})
		},
	}
	e.add(cmd)
	f := cmd.Flags()
	f.Int64Var(&produceRate, "produce-bytes-rate", 0, "produce `BYTES` per second")
	f.Int64Var(&fetch, "fetch-bytes-rate", 0, "fetch `BYTES` per second")
	f.Float64Var(&requests, "request-rate", 0, "`REQUESTS` per second")
	return cmd
}

func newQuotaListCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List every client quota",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				resp, err := c.ListQuotas(cmd.Context(), &sluicev1.ListQuotasRequest{})
				if err != nil {
					return fmt.Errorf("list quotas: %w", err)
				}
				return printQuotas(cmd.OutOrStdout(), resp.GetQuotas())
			})
		},
	}
}

// quotaRateNames are the names delete --rate takes.
var quotaRateNames = map[string]sluicev1.QuotaType{
	"produce-bytes-rate": sluicev1.QuotaType_QUOTA_TYPE_PRODUCE_BYTES_RATE,
	"fetch-bytes-rate":   sluicev1.QuotaType_QUOTA_TYPE_FETCH_BYTES_RATE,
	"request-rate":       sluicev1.QuotaType_QUOTA_TYPE_REQUEST_RATE,
}

func newQuotaDeleteCmd(g *globalOptions) *cobra.Command {
	var (
		e     entityFlags
		rates []string
	)
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Remove limits of a user, a client id or both (all of them unless --rate names some)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entity, err := e.entity(cmd)
			if err != nil {
				return err
			}
			req := &sluicev1.DeleteQuotaRequest{Entity: entity}
			for _, r := range rates {
				t, ok := quotaRateNames[r]
				if !ok {
					return fmt.Errorf("invalid --rate %q: want produce-bytes-rate, fetch-bytes-rate or request-rate", r)
				}
				req.Types = append(req.Types, t)
			}
			return withAdmin(g, func(c sluicev1.AdminServiceClient) error {
				if _, err := c.DeleteQuota(cmd.Context(), req); err != nil {
					return fmt.Errorf("delete quota: %w", err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "deleted quota of %s\n", entityString(entity))
				return err
			})
		},
	}
	e.add(cmd)
	cmd.Flags().StringSliceVar(&rates, "rate", nil, "remove only this limit (`NAME`: produce-bytes-rate, fetch-bytes-rate, request-rate; repeatable)")
	return cmd
}

func printQuotas(out io.Writer, quotas []*sluicev1.Quota) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tCLIENT ID\tPRODUCE B/S\tFETCH B/S\tREQUESTS/S")
	for _, q := range quotas {
		v := q.GetValues()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", partString(q.GetEntity().GetUser()), partString(q.GetEntity().GetClientId()),
			optRate(v.ProduceBytesRate), optRate(v.FetchBytesRate), optFloat(v.RequestRate))
	}
	return tw.Flush()
}

func partString(p *sluicev1.QuotaEntityPart) string {
	switch {
	case p == nil:
		return "-"
	case p.GetIsDefault():
		return "<default>"
	}
	return p.GetName()
}

func entityString(e *sluicev1.QuotaEntity) string {
	switch {
	case e.GetUser() == nil:
		return "client-id " + partString(e.GetClientId())
	case e.GetClientId() == nil:
		return "user " + partString(e.GetUser())
	}
	return "user " + partString(e.GetUser()) + ", client-id " + partString(e.GetClientId())
}

func optRate(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func optFloat(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}
