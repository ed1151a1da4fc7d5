package jiraemu

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Project permissions by role, and the global permissions of the site.
var (
	viewerPermissions = []string{"BROWSE_PROJECTS"}
	// memberPermissions are what every user holds on every project unless
	// a role says otherwise (the default of a new Jira site).
	memberPermissions = []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "LINK_ISSUES", "ADD_COMMENTS",
		"ASSIGN_ISSUES", "TRANSITION_ISSUES", "SCHEDULE_ISSUES", "RESOLVE_ISSUES", "CLOSE_ISSUES"}
	adminPermissions  = []string{"ADMINISTER_PROJECTS", "DELETE_ISSUES", "MANAGE_WATCHERS", "EDIT_ALL_COMMENTS", "DELETE_ALL_COMMENTS"}
	globalPermissions = []string{"ADMINISTER", "SYSTEM_ADMIN", "USER_PICKER", "CREATE_SHARED_OBJECTS", "BULK_CHANGE"}
)

// Role is what a person may do in a project of the emulated site.
type Role string

// Roles, from least to most rights. An account without a role on a
// project is a member, except the project lead, who is an admin.
const (
	RoleNone   Role = "none"   // not in the project: no permission at all
	RoleViewer Role = "viewer" // browses only: no edit, create or link
	RoleMember Role = "member" // browses, edits, creates, links, comments
	RoleAdmin  Role = "admin"  // a member who also administers the project
)

// Demo accounts of different rights, present on every emulated site (the
// project admin is the demo project's lead; see DemoUsers).
const (
	DemoSiteAdminID    = "712020:demo-site-admin"
	DemoProjectAdminID = "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11" // Priya Natarajan, lead of SHOP
	DemoMemberID       = "712020:0a9e4c3d-2f61-4a8b-b5c7-91d2e6f4a802" // Marcus Feld
	DemoViewerID       = "712020:demo-viewer"
)

// DemoUser is a person of the emulated site whose rights tests and the
// sandbox's user switcher use.
type DemoUser struct {
	AccountID   string `json:"accountId"`
	DisplayName string `json:"displayName"`
	// Role is the account's role on the demo project SHOP.
	Role      Role   `json:"role"`
	SiteAdmin bool   `json:"siteAdmin"`
	Rights    string `json:"rights"` // one line for a person choosing who to be
}

// DemoUsers are the demo site's people of different rights.
var DemoUsers = []DemoUser{
	{AccountID: DemoSiteAdminID, DisplayName: "Sam Adeyemi", Role: RoleMember, SiteAdmin: true, Rights: "Jira site administrator"},
	{AccountID: DemoProjectAdminID, DisplayName: "Priya Natarajan", Role: RoleAdmin, Rights: "administers SHOP (project lead)"},
	{AccountID: DemoMemberID, DisplayName: "Marcus Feld", Role: RoleMember, Rights: "edits, creates and links SHOP issues"},
	{AccountID: DemoViewerID, DisplayName: "Vera Lindqvist", Role: RoleViewer, Rights: "browses SHOP only"},
}

// access is the site's permission table: who administers the site, and
// each account's role per project key. It is the one place the emulator
// decides what a person may do.
type access struct {
	siteAdmins []string
	roles      map[string]map[string]Role // project key -> account -> role
}

// setupDemoAccess adds the demo accounts and their rights.
func (e *Emulator) setupDemoAccess() {
	e.mu.Lock()
	for _, u := range DemoUsers {
		e.st.addUser(&user{AccountID: u.AccountID, DisplayName: u.DisplayName, AccountType: "atlassian", TimeZone: "Europe/London"})
	}
	e.mu.Unlock()
	for _, u := range DemoUsers {
		if u.SiteAdmin {
			e.SetSiteAdmin(u.AccountID, true)
		}
		e.SetProjectRole("SHOP", u.AccountID, u.Role)
	}
}

// SetProjectRole gives the account a role on the project (by key).
func (e *Emulator) SetProjectRole(projectKey, accountID string, role Role) {
	e.accessMu.Lock()
	defer e.accessMu.Unlock()
	if e.access.roles == nil {
		e.access.roles = map[string]map[string]Role{}
	}
	k := strings.ToUpper(projectKey)
	if e.access.roles[k] == nil {
		e.access.roles[k] = map[string]Role{}
	}
	e.access.roles[k][accountID] = role
}

// SetSiteAdmin makes the account a Jira administrator (ADMINISTER, which
// implies every project permission) or not.
func (e *Emulator) SetSiteAdmin(accountID string, admin bool) {
	e.accessMu.Lock()
	defer e.accessMu.Unlock()
	e.access.siteAdmins = slices.DeleteFunc(e.access.siteAdmins, func(a string) bool { return a == accountID })
	if admin {
		e.access.siteAdmins = append(e.access.siteAdmins, accountID)
	}
}

// SetProjectAdmins makes the accounts administrators of the project (the
// ADMINISTER_PROJECTS permission), besides its lead. The project key "*"
// makes them Jira administrators (ADMINISTER), which implies every
// project permission. A later call for the same key replaces the list:
// admins it leaves out, except the lead, become members.
func (e *Emulator) SetProjectAdmins(projectKey string, accountIDs ...string) {
	lead := ""
	e.mu.RLock()
	if p := e.st.projects[strings.ToUpper(projectKey)]; p != nil && p.Lead != nil {
		lead = p.Lead.AccountID
	}
	e.mu.RUnlock()
	e.accessMu.Lock()
	defer e.accessMu.Unlock()
	if projectKey == "*" {
		e.access.siteAdmins = slices.Clone(accountIDs)
		return
	}
	k := strings.ToUpper(projectKey)
	if e.access.roles == nil {
		e.access.roles = map[string]map[string]Role{}
	}
	if e.access.roles[k] == nil {
		e.access.roles[k] = map[string]Role{}
	}
	for a, r := range e.access.roles[k] {
		if r == RoleAdmin && a != lead {
			e.access.roles[k][a] = RoleMember
		}
	}
	for _, a := range accountIDs {
		e.access.roles[k][a] = RoleAdmin
	}
}

// IsSiteAdmin reports whether the account holds the global ADMINISTER.
func (e *Emulator) IsSiteAdmin(accountID string) bool {
	e.accessMu.Lock()
	defer e.accessMu.Unlock()
	return slices.Contains(e.access.siteAdmins, accountID)
}

// UserPermissions returns the project permissions the account holds on the
// project (by key), sorted: what the permission-check API answers, and
// what writes made as that person must be checked against. Site admins
// hold every project permission; the lead administers the project unless
// given another role; everyone else is a member unless given a role.
func (e *Emulator) UserPermissions(accountID, projectKey string) []string {
	k := strings.ToUpper(projectKey)
	e.mu.RLock()
	p := e.st.projects[k]
	isLead := p != nil && p.Lead != nil && p.Lead.AccountID == accountID
	e.mu.RUnlock()
	return e.permissionsOf(accountID, k, isLead)
}

// HasPermission reports whether the account holds the project permission.
func (e *Emulator) HasPermission(accountID, projectKey, permission string) bool {
	return slices.Contains(e.UserPermissions(accountID, projectKey), permission)
}

// permissionsOf is UserPermissions when the caller knows whether the
// account leads the project (it may hold e.mu).
func (e *Emulator) permissionsOf(accountID, projectKey string, isLead bool) []string {
	e.accessMu.Lock()
	siteAdmin := slices.Contains(e.access.siteAdmins, accountID)
	role, ok := e.access.roles[strings.ToUpper(projectKey)][accountID]
	e.accessMu.Unlock()
	if !ok {
		role = RoleMember
		if isLead {
			role = RoleAdmin
		}
	}
	var out []string
	switch {
	case siteAdmin, role == RoleAdmin:
		out = append(slices.Clone(memberPermissions), adminPermissions...)
	case role == RoleMember:
		out = slices.Clone(memberPermissions)
	case role == RoleViewer:
		out = slices.Clone(viewerPermissions)
	}
	slices.Sort(out)
	return out
}

type permissionsRequest struct {
	AccountID          string   `json:"accountId"`
	GlobalPermissions  []string `json:"globalPermissions"`
	ProjectPermissions []struct {
		Issues      []int64  `json:"issues"`
		Permissions []string `json:"permissions"`
		Projects    []int64  `json:"projects"`
	} `json:"projectPermissions"`
}

// handlePermissionsCheck is POST /rest/api/3/permissions/check: the
// global and project permissions an account holds, from the site's
// permission table (UserPermissions). Without accountId it answers for
// the caller (the app's own user). Unknown projects and issues are
// ignored, as in Jira.
func (e *Emulator) handlePermissionsCheck(w http.ResponseWriter, r *http.Request) error {
	var req permissionsRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	bad := map[string]string{}
	for _, p := range req.GlobalPermissions {
		if !slices.Contains(globalPermissions, p) {
			bad[p] = "Unrecognized permission"
		}
	}
	for _, pp := range req.ProjectPermissions {
		if len(pp.Permissions) == 0 {
			return errf(http.StatusBadRequest, "Project permissions must contain at least one permission.")
		}
		for _, p := range pp.Permissions {
			if !slices.Contains(memberPermissions, p) && !slices.Contains(adminPermissions, p) {
				bad[p] = "Unrecognized permission"
			}
		}
	}
	if len(bad) > 0 {
		return fieldErr(http.StatusBadRequest, bad)
	}
	account := req.AccountID
	if account == "" {
		account = e.appUser.AccountID
	}
	siteAdmin := e.IsSiteAdmin(account)
	type grant struct {
		Issues     []int64 `json:"issues"`
		Permission string  `json:"permission"`
		Projects   []int64 `json:"projects"`
	}
	out := struct {
		GlobalPermissions  []string `json:"globalPermissions"`
		ProjectPermissions []grant  `json:"projectPermissions"`
	}{GlobalPermissions: []string{}, ProjectPermissions: []grant{}}
	for _, p := range req.GlobalPermissions {
		if siteAdmin || p == "USER_PICKER" || p == "CREATE_SHARED_OBJECTS" {
			out.GlobalPermissions = append(out.GlobalPermissions, p)
		}
	}
	e.mu.RLock()
	held := map[string][]string{} // project key -> permissions
	heldOn := func(p *project) []string {
		if h, ok := held[p.Key]; ok {
			return h
		}
		h := e.permissionsOf(account, p.Key, p.Lead != nil && p.Lead.AccountID == account)
		held[p.Key] = h
		return h
	}
	byPerm := map[string]*grant{}
	var order []string
	for _, pp := range req.ProjectPermissions {
		for _, perm := range pp.Permissions {
			g, ok := byPerm[perm]
			if !ok {
				g = &grant{Issues: []int64{}, Permission: perm, Projects: []int64{}}
				byPerm[perm] = g
				order = append(order, perm)
			}
			for _, id := range pp.Projects {
				if p := e.st.project(strconv.FormatInt(id, 10)); p != nil && slices.Contains(heldOn(p), perm) && !slices.Contains(g.Projects, id) {
					g.Projects = append(g.Projects, id)
				}
			}
			for _, id := range pp.Issues {
				if is := e.st.byID[id]; is != nil && slices.Contains(heldOn(is.Project), perm) && !slices.Contains(g.Issues, id) {
					g.Issues = append(g.Issues, id)
				}
			}
		}
	}
	e.mu.RUnlock()
	for _, perm := range order {
		out.ProjectPermissions = append(out.ProjectPermissions, *byPerm[perm])
	}
	stateOf(r).objects = len(out.ProjectPermissions)
	writeJSON(w, http.StatusOK, out)
	return nil
}
