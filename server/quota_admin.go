package server

import (
	"context"
	"errors"
	"fmt"
	"math"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/security"
)

// Quota administration. Each change is one metadata command, so every
// broker applies it from the same metadata index on and enforces it on its
// own clients.
//
// Authorization: SetQuota and DeleteQuota need AlterConfigs on the cluster,
// ListQuotas DescribeConfigs on the cluster (as Kafka's AlterClientQuotas and
// DescribeClientQuotas do). The Authorizer's check belongs at the top of each
// of the three handlers below, before the request is validated.

// maxRequestRate bounds a request_rate: more than any broker answers.
const maxRequestRate = 1e9

// SetQuota validates and commits the change, then returns the entity's
// limits as this broker applied them.
func (s *adminService) SetQuota(ctx context.Context, req *sluicev1.SetQuotaRequest) (*sluicev1.SetQuotaResponse, error) {
	e, err := normalQuotaEntity(req.GetEntity())
	if err != nil {
		return nil, err
	}
	if err := validateQuotaValues(req.GetValues()); err != nil {
		return nil, err
	}
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_SetQuota{
		SetQuota: &internalv1.SetQuota{Entity: e, Values: req.GetValues()},
	}}
	if err := s.b.meta.Propose(ctx, cmd); err != nil {
		if errors.Is(err, raftmeta.ErrTooManyQuotas) {
			return nil, badRequest("entity", "%v; delete quotas first", err)
		}
		return nil, err
	}
	return &sluicev1.SetQuotaResponse{Quota: s.b.meta.Quota(e)}, nil
}

// ListQuotas lists every entity's limits as this broker's metadata holds
// them.
func (s *adminService) ListQuotas(ctx context.Context, _ *sluicev1.ListQuotasRequest) (*sluicev1.ListQuotasResponse, error) {
	return &sluicev1.ListQuotasResponse{Quotas: s.b.meta.Quotas().GetQuotas()}, nil
}

// DeleteQuota removes limits of an entity; NOT_FOUND when it has none.
func (s *adminService) DeleteQuota(ctx context.Context, req *sluicev1.DeleteQuotaRequest) (*sluicev1.DeleteQuotaResponse, error) {
	e, err := normalQuotaEntity(req.GetEntity())
	if err != nil {
		return nil, err
	}
	for i, t := range req.GetTypes() {
		if _, ok := sluicev1.QuotaType_name[int32(t)]; !ok || t == sluicev1.QuotaType_QUOTA_TYPE_UNSPECIFIED {
			return nil, badRequest(fmt.Sprintf("types[%d]", i), "unknown quota type %d", t)
		}
	}
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteQuota{
		DeleteQuota: &internalv1.DeleteQuota{Entity: e, Types: req.GetTypes()},
	}}
	if err := s.b.meta.Propose(ctx, cmd); err != nil {
		if errors.Is(err, raftmeta.ErrQuotaNotFound) {
			return nil, &notFoundError{fmt.Sprintf("no quota is set for %s", describeQuotaEntity(e))}
		}
		return nil, err
	}
	return &sluicev1.DeleteQuotaResponse{}, nil
}

// normalQuotaEntity checks an entity and returns it with its user in a
// principal's full form ("alice" becomes "User:alice"), as calls are
// matched.
func normalQuotaEntity(e *sluicev1.QuotaEntity) (*sluicev1.QuotaEntity, error) {
	if e.GetUser() == nil && e.GetClientId() == nil {
		return nil, badRequest("entity", "a quota entity needs a user, a client id or both")
	}
	user, err := normalQuotaPart("entity.user", e.GetUser())
	if err != nil {
		return nil, err
	}
	client, err := normalQuotaPart("entity.client_id", e.GetClientId())
	if err != nil {
		return nil, err
	}
	if n, ok := user.GetMatch().(*sluicev1.QuotaEntityPart_Name); ok {
		user = &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: security.ParsePrincipal(n.Name).String()}}
	}
	return &sluicev1.QuotaEntity{User: user, ClientId: client}, nil
}

func normalQuotaPart(field string, p *sluicev1.QuotaEntityPart) (*sluicev1.QuotaEntityPart, error) {
	if p == nil {
		return nil, nil
	}
	switch m := p.GetMatch().(type) {
	case *sluicev1.QuotaEntityPart_IsDefault:
		if !m.IsDefault {
			return nil, badRequest(field+".is_default", "must be true when set (leave the part unset for an entity without it)")
		}
	case *sluicev1.QuotaEntityPart_Name:
		if m.Name == "" || len(m.Name) > maxClientIDLen {
			return nil, badRequest(field+".name", "must be 1 to %d bytes (got %d)", maxClientIDLen, len(m.Name))
		}
	default:
		return nil, badRequest(field, "set either a name or is_default")
	}
	return p, nil
}

func validateQuotaValues(v *sluicev1.QuotaValues) error {
	if v == nil || (v.ProduceBytesRate == nil && v.FetchBytesRate == nil && v.RequestRate == nil) {
		return badRequest("values", "set at least one of produce_bytes_rate, fetch_bytes_rate and request_rate")
	}
	if v.ProduceBytesRate != nil && v.GetProduceBytesRate() <= 0 {
		return badRequest("values.produce_bytes_rate", "must be positive bytes per second (got %d); DeleteQuota removes a limit", v.GetProduceBytesRate())
	}
	if v.FetchBytesRate != nil && v.GetFetchBytesRate() <= 0 {
		return badRequest("values.fetch_bytes_rate", "must be positive bytes per second (got %d); DeleteQuota removes a limit", v.GetFetchBytesRate())
	}
	if r := v.GetRequestRate(); v.RequestRate != nil && (math.IsNaN(r) || r <= 0 || r > maxRequestRate) {
		return badRequest("values.request_rate", "must be positive requests per second, at most %g (got %g); DeleteQuota removes a limit", float64(maxRequestRate), r)
	}
	return nil
}

// describeQuotaEntity names an entity as Kafka's tools do: user=alice,
// client-id=<default>.
func describeQuotaEntity(e *sluicev1.QuotaEntity) string {
	part := func(p *sluicev1.QuotaEntityPart) string {
		if p.GetIsDefault() {
			return "<default>"
		}
		return fmt.Sprintf("%q", p.GetName())
	}
	switch {
	case e.GetUser() == nil:
		return "client-id=" + part(e.GetClientId())
	case e.GetClientId() == nil:
		return "user=" + part(e.GetUser())
	}
	return "user=" + part(e.GetUser()) + ", client-id=" + part(e.GetClientId())
}
