package server

import (
	"context"
	"errors"
	"fmt"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/authz"
)

// maxAclsPerRequest bounds the ACLs one CreateAcls adds: each metadata entry
// is written with the whole metadata state.
const maxAclsPerRequest = 1000

// aclFieldError turns an authz validation error into the request's field
// error.
func aclFieldError(err error) error {
	var ie *authz.InvalidError
	if errors.As(err, &ie) {
		return badRequest(ie.Field, "%s", ie.Reason)
	}
	return err
}

// CreateAcls validates every ACL and adds them all in one metadata command;
// an ACL already present stays as it is. It returns once this broker
// applied the change; the other brokers apply it as they follow the
// metadata (within about a second, docs/security.md).
func (s *adminService) CreateAcls(ctx context.Context, req *sluicev1.CreateAclsRequest) (*sluicev1.CreateAclsResponse, error) {
	if err := s.b.authorizeCluster(ctx, opAlter); err != nil {
		return nil, err
	}
	if len(req.GetAcls()) == 0 {
		return nil, badRequest("acls", "at least one ACL is required")
	}
	if len(req.GetAcls()) > maxAclsPerRequest {
		return nil, badRequest("acls", "%d ACLs is more than the %d one request may create", len(req.GetAcls()), maxAclsPerRequest)
	}
	acls := make([]*sluicev1.AclBinding, 0, len(req.GetAcls()))
	for i, a := range req.GetAcls() {
		if err := authz.Validate(fmt.Sprintf("acls[%d]", i), a); err != nil {
			return nil, aclFieldError(err)
		}
		acls = append(acls, authz.Normalize(a))
	}
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreateAcls{CreateAcls: &internalv1.CreateAcls{Acls: acls}}}
	if err := s.b.meta.Propose(ctx, cmd); err != nil {
		return nil, err
	}
	return &sluicev1.CreateAclsResponse{}, nil
}

// DeleteAcls resolves the filters against this broker's ACLs and removes
// exactly the ACLs they match, returning them.
func (s *adminService) DeleteAcls(ctx context.Context, req *sluicev1.DeleteAclsRequest) (*sluicev1.DeleteAclsResponse, error) {
	if err := s.b.authorizeCluster(ctx, opAlter); err != nil {
		return nil, err
	}
	if len(req.GetFilters()) == 0 {
		return nil, badRequest("filters", "at least one filter is required (an empty filter matches every ACL)")
	}
	for i, f := range req.GetFilters() {
		if err := authz.ValidateFilter(fmt.Sprintf("filters[%d]", i), f); err != nil {
			return nil, aclFieldError(err)
		}
	}
	var matched []*sluicev1.AclBinding
	for _, a := range s.b.meta.State().GetAcls() {
		for _, f := range req.GetFilters() {
			if authz.Matches(f, a) {
				matched = append(matched, a)
				break
			}
		}
	}
	if len(matched) > 0 {
		cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteAcls{DeleteAcls: &internalv1.DeleteAcls{Acls: matched}}}
		if err := s.b.meta.Propose(ctx, cmd); err != nil {
			return nil, err
		}
	}
	authz.Sort(matched)
	return &sluicev1.DeleteAclsResponse{Deleted: matched}, nil
}

// ListAcls lists the ACLs the filter matches, sorted.
func (s *adminService) ListAcls(ctx context.Context, req *sluicev1.ListAclsRequest) (*sluicev1.ListAclsResponse, error) {
	if err := s.b.authorizeCluster(ctx, opDescribe); err != nil {
		return nil, err
	}
	f := req.GetFilter()
	if err := authz.ValidateFilter("filter", f); err != nil {
		return nil, aclFieldError(err)
	}
	resp := &sluicev1.ListAclsResponse{}
	for _, a := range s.b.meta.State().GetAcls() {
		if authz.Matches(f, a) {
			resp.Acls = append(resp.Acls, a)
		}
	}
	authz.Sort(resp.Acls)
	return resp, nil
}
