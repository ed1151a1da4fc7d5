package jira

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/backlogai/backlogai/server/domain"
)

// Permission keys of Jira's permission scheme that the app checks.
const (
	// PermissionAdministerProjects is the project permission of project
	// admins.
	PermissionAdministerProjects = "ADMINISTER_PROJECTS"
	PermissionEditIssues         = "EDIT_ISSUES"
	PermissionCreateIssues       = "CREATE_ISSUES"
	PermissionLinkIssues         = "LINK_ISSUES"
	// PermissionAdminister is the global permission of Jira (site)
	// administrators.
	PermissionAdminister = "ADMINISTER"
)

type permissionsCheck struct {
	AccountID          string                `json:"accountId,omitempty"`
	GlobalPermissions  []string              `json:"globalPermissions,omitempty"`
	ProjectPermissions []projectPermissionIn `json:"projectPermissions,omitempty"`
}

type projectPermissionIn struct {
	Permissions []string `json:"permissions"`
	Projects    []int64  `json:"projects,omitempty"`
}

type permissionGrants struct {
	GlobalPermissions  []string `json:"globalPermissions"`
	ProjectPermissions []struct {
		Permission string  `json:"permission"`
		Projects   []int64 `json:"projects"`
	} `json:"projectPermissions"`
}

// Grants are the permissions an account was found to hold.
type Grants struct {
	Global  []string // global permissions held, such as ADMINISTER
	Project []string // project permissions held on the project asked about
}

// CheckPermissions asks Jira, in one POST /rest/api/3/permissions/check,
// which of the global permissions and which of the project permissions
// (on the project with the numeric id projectID; "" asks none) the account
// holds. Connect apps may ask this for any user from the app server.
func (c *Client) CheckPermissions(ctx context.Context, accountID, projectID string, global, project []string) (Grants, error) {
	if accountID == "" || len(global)+len(project) == 0 {
		return Grants{}, fmt.Errorf("jira: permissions check: account and permissions are required: %w", domain.ErrInvalid)
	}
	req := permissionsCheck{AccountID: accountID, GlobalPermissions: global}
	var id int64
	if len(project) > 0 {
		var err error
		if id, err = strconv.ParseInt(projectID, 10, 64); err != nil {
			return Grants{}, fmt.Errorf("jira: permissions check: project id %q is not numeric: %w", projectID, domain.ErrInvalid)
		}
		req.ProjectPermissions = []projectPermissionIn{{Permissions: project, Projects: []int64{id}}}
	}
	var resp permissionGrants
	if err := c.do(ctx, "POST", "rest/api/3/permissions/check", &req, &resp); err != nil {
		return Grants{}, fmt.Errorf("jira: permissions check: %w", err)
	}
	out := Grants{Global: []string{}, Project: []string{}}
	for _, p := range resp.GlobalPermissions {
		if slices.Contains(global, p) {
			out.Global = append(out.Global, p)
		}
	}
	for _, g := range resp.ProjectPermissions {
		if slices.Contains(project, g.Permission) && slices.Contains(g.Projects, id) && !slices.Contains(out.Project, g.Permission) {
			out.Project = append(out.Project, g.Permission)
		}
	}
	return out, nil
}

// HasProjectPermission reports whether the account holds permission (such
// as ADMINISTER_PROJECTS) on the project with the numeric id projectID.
// Jira administrators (ADMINISTER) hold every project permission.
func (c *Client) HasProjectPermission(ctx context.Context, accountID, projectID, permission string) (bool, error) {
	if _, err := strconv.ParseInt(projectID, 10, 64); err != nil || permission == "" {
		return false, fmt.Errorf("jira: permissions check: account, numeric project id and permission are required: %w", domain.ErrInvalid)
	}
	g, err := c.CheckPermissions(ctx, accountID, projectID, []string{PermissionAdminister}, []string{permission})
	if err != nil {
		return false, err
	}
	return slices.Contains(g.Global, PermissionAdminister) || slices.Contains(g.Project, permission), nil
}

// HasGlobalPermission reports whether the account holds a global
// permission (such as ADMINISTER, the Jira administrators) on the site,
// with POST /rest/api/3/permissions/check.
func (c *Client) HasGlobalPermission(ctx context.Context, accountID, permission string) (bool, error) {
	if accountID == "" || permission == "" {
		return false, fmt.Errorf("jira: permissions check: account and permission are required: %w", domain.ErrInvalid)
	}
	req := permissionsCheck{AccountID: accountID, GlobalPermissions: []string{permission}}
	var resp permissionGrants
	if err := c.do(ctx, "POST", "rest/api/3/permissions/check", &req, &resp); err != nil {
		return false, fmt.Errorf("jira: permissions check: %w", err)
	}
	return slices.Contains(resp.GlobalPermissions, permission), nil
}
