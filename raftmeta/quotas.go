package raftmeta

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

var (
	// ErrQuotaNotFound is the outcome of deleting limits of an entity that
	// has none.
	ErrQuotaNotFound = errors.New("no quota is set for the entity")
	// ErrTooManyQuotas is the outcome of adding an entity when MaxQuotas
	// entities have quotas.
	ErrTooManyQuotas = fmt.Errorf("the cluster already holds quotas for %d entities, the most it keeps", MaxQuotas)
)

// MaxQuotas bounds the entities with quotas: every broker holds them all,
// in memory and in every metadata snapshot.
const MaxQuotas = 10000

// Quota returns the limits of one entity, nil when it has none; callers
// must not modify them.
func (f *FSM) Quota(e *sluicev1.QuotaEntity) *sluicev1.Quota {
	qs := f.Quotas()
	if i, ok := findQuota(qs, e); ok {
		return qs.GetQuotas()[i]
	}
	return nil
}

// Quotas returns every client quota, ordered by entity; callers must not
// modify them. The value changes (as a pointer) only when a quota does.
func (f *FSM) Quotas() *internalv1.QuotaState { return f.State().GetQuotas() }

// setQuota merges values into the entity's limits, adding the entity if it
// has none. The quota state is replaced, never changed in place: readers
// hold the published one.
func (f *FSM) setQuota(c *internalv1.SetQuota) error {
	qs := cloneQuotas(f.working.GetQuotas())
	i, found := findQuota(qs, c.GetEntity())
	if !found {
		if len(qs.Quotas) >= MaxQuotas {
			return ErrTooManyQuotas
		}
		q := &sluicev1.Quota{Entity: proto.CloneOf(c.GetEntity()), Values: &sluicev1.QuotaValues{}}
		qs.Quotas = slices.Insert(qs.Quotas, i, q)
	}
	q := proto.CloneOf(qs.Quotas[i])
	if q.Values == nil {
		q.Values = &sluicev1.QuotaValues{}
	}
	v, set := q.Values, c.GetValues()
	if set == nil {
		set = &sluicev1.QuotaValues{}
	}
	if set.ProduceBytesRate != nil {
		v.ProduceBytesRate = proto.Int64(set.GetProduceBytesRate())
	}
	if set.FetchBytesRate != nil {
		v.FetchBytesRate = proto.Int64(set.GetFetchBytesRate())
	}
	if set.RequestRate != nil {
		v.RequestRate = proto.Float64(set.GetRequestRate())
	}
	qs.Quotas[i] = q
	f.working.Quotas = qs
	return nil
}

// deleteQuota removes limits of an entity (all of them when types is
// empty), and the entity when it has none left.
func (f *FSM) deleteQuota(c *internalv1.DeleteQuota) error {
	i, found := findQuota(f.working.GetQuotas(), c.GetEntity())
	if !found {
		return ErrQuotaNotFound
	}
	qs := cloneQuotas(f.working.GetQuotas())
	q := proto.CloneOf(qs.Quotas[i])
	if q.Values == nil {
		q.Values = &sluicev1.QuotaValues{}
	}
	v := q.Values
	types := c.GetTypes()
	if len(types) == 0 {
		types = []sluicev1.QuotaType{sluicev1.QuotaType_QUOTA_TYPE_PRODUCE_BYTES_RATE, sluicev1.QuotaType_QUOTA_TYPE_FETCH_BYTES_RATE, sluicev1.QuotaType_QUOTA_TYPE_REQUEST_RATE}
	}
	for _, t := range types {
		switch t {
		case sluicev1.QuotaType_QUOTA_TYPE_PRODUCE_BYTES_RATE:
			v.ProduceBytesRate = nil
		case sluicev1.QuotaType_QUOTA_TYPE_FETCH_BYTES_RATE:
			v.FetchBytesRate = nil
		case sluicev1.QuotaType_QUOTA_TYPE_REQUEST_RATE:
			v.RequestRate = nil
		}
	}
	if v.ProduceBytesRate == nil && v.FetchBytesRate == nil && v.RequestRate == nil {
		qs.Quotas = slices.Delete(qs.Quotas, i, i+1)
	} else {
		qs.Quotas[i] = q
	}
	f.working.Quotas = qs
	return nil
}

// cloneQuotas copies the list, sharing its quotas (each is cloned before
// it changes).
func cloneQuotas(qs *internalv1.QuotaState) *internalv1.QuotaState {
	return &internalv1.QuotaState{Quotas: slices.Clone(qs.GetQuotas())}
}

// findQuota returns where the entity's quota is in the ordered list, or
// where it would go.
func findQuota(qs *internalv1.QuotaState, e *sluicev1.QuotaEntity) (int, bool) {
	return slices.BinarySearchFunc(qs.GetQuotas(), e, func(q *sluicev1.Quota, e *sluicev1.QuotaEntity) int {
		return CompareQuotaEntities(q.GetEntity(), e)
	})
}

// CompareQuotaEntities orders entities by user, then client id; within a
// part, none first, then the default, then names.
func CompareQuotaEntities(a, b *sluicev1.QuotaEntity) int {
	return cmp.Or(compareQuotaPart(a.GetUser(), b.GetUser()), compareQuotaPart(a.GetClientId(), b.GetClientId()))
}

func compareQuotaPart(a, b *sluicev1.QuotaEntityPart) int {
	rank := func(p *sluicev1.QuotaEntityPart) int {
		switch {
		case p.GetMatch() == nil:
			return 0
		case p.GetIsDefault():
			return 1
		}
		return 2
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.GetName(), b.GetName()))
}
