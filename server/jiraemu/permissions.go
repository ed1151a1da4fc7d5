package jiraemu

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Project permissions every user of the emulated site holds on every
// project, and those only project admins hold.
var (
	everyonePermissions = []string{"BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "LINK_ISSUES", "ADD_COMMENTS",
		"ASSIGN_ISSUES", "TRANSITION_ISSUES", "SCHEDULE_ISSUES", "RESOLVE_ISSUES", "CLOSE_ISSUES"}
	adminPermissions  = []string{"ADMINISTER_PROJECTS", "DELETE_ISSUES", "MANAGE_WATCHERS", "EDIT_ALL_COMMENTS", "DELETE_ALL_COMMENTS"}
	globalPermissions = []string{"ADMINISTER", "SYSTEM_ADMIN", "USER_PICKER", "CREATE_SHARED_OBJECTS", "BULK_CHANGE"}
)

// SetProjectAdmins makes the accounts administrators of the project (the
// ADMINISTER_PROJECTS permission), besides its lead. The project key "*"
// makes them Jira administrators (ADMINISTER), which implies every
// project permission. A later call for the same key replaces the list.
func (e *Emulator) SetProjectAdmins(projectKey string, accountIDs ...string) {
	e.adminsMu.Lock()
	defer e.adminsMu.Unlock()
	if e.admins == nil {
		e.admins = map[string][]string{}
	}
	e.admins[strings.ToUpper(projectKey)] = slices.Clone(accountIDs)
}

func (e *Emulator) namedAdmin(projectKey, accountID string) bool {
	e.adminsMu.Lock()
	defer e.adminsMu.Unlock()
	return slices.Contains(e.admins[strings.ToUpper(projectKey)], accountID)
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
// global and project permissions an account holds. Everyone browses and
// edits; the project lead, accounts named by SetProjectAdmins and Jira
// administrators administer projects. Without accountId it answers for
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
			if !slices.Contains(everyonePermissions, p) && !slices.Contains(adminPermissions, p) {
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
	siteAdmin := e.namedAdmin("*", account)
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
			allowed := func(p *project) bool {
				if slices.Contains(everyonePermissions, perm) || siteAdmin {
					return true
				}
				return (p.Lead != nil && p.Lead.AccountID == account) || e.namedAdmin(p.Key, account)
			}
			for _, id := range pp.Projects {
				if p := e.st.project(strconv.FormatInt(id, 10)); p != nil && allowed(p) && !slices.Contains(g.Projects, id) {
					g.Projects = append(g.Projects, id)
				}
			}
			for _, id := range pp.Issues {
				if is := e.st.byID[id]; is != nil && allowed(is.Project) && !slices.Contains(g.Issues, id) {
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
