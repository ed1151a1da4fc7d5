package jiraemu

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPermissionTable: the demo users' rights, as the permission-check
// API answers them and as UserPermissions reports them.
func TestPermissionTable(t *testing.T) {
	s := newSite(t, Options{})
	s.emu.SetProjectRole("SHOP", "557058:outsider", RoleNone)
	asked := []string{"BROWSE_PROJECTS", "EDIT_ISSUES", "CREATE_ISSUES", "LINK_ISSUES", "ADMINISTER_PROJECTS"}
	cases := []struct {
		account string
		global  []string
		project []string
	}{
		{DemoSiteAdminID, []string{"ADMINISTER"}, asked},
		{DemoProjectAdminID, []string{}, asked},
		{DemoMemberID, []string{}, asked[:4]},
		{"557058:anyone", []string{}, asked[:4]}, // no role: a member
		{DemoViewerID, []string{}, asked[:1]},
		{"557058:outsider", []string{}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.account, func(t *testing.T) {
			var out struct {
				GlobalPermissions  []string `json:"globalPermissions"`
				ProjectPermissions []struct {
					Permission string  `json:"permission"`
					Projects   []int64 `json:"projects"`
					Issues     []int64 `json:"issues"`
				} `json:"projectPermissions"`
			}
			s.must(200, "POST", "/rest/api/3/permissions/check", map[string]any{
				"accountId": tc.account, "globalPermissions": []string{"ADMINISTER"},
				"projectPermissions": []map[string]any{{"permissions": asked, "projects": []int64{10000}, "issues": []int64{10020}}},
			}, &out)
			if diff := cmp.Diff(tc.global, out.GlobalPermissions); diff != "" {
				t.Errorf("global (-want +got):\n%s", diff)
			}
			got := []string{}
			for _, g := range out.ProjectPermissions {
				onProject, onIssue := slices.Contains(g.Projects, 10000), slices.Contains(g.Issues, 10020)
				if onProject != onIssue {
					t.Errorf("%s: project %v, issue %v", g.Permission, onProject, onIssue)
				}
				if onProject {
					got = append(got, g.Permission)
				}
			}
			if diff := cmp.Diff(tc.project, got); diff != "" {
				t.Errorf("project (-want +got):\n%s", diff)
			}
			for _, p := range asked {
				if s.emu.HasPermission(tc.account, "shop", p) != slices.Contains(tc.project, p) {
					t.Errorf("HasPermission(%s) disagrees with the API", p)
				}
			}
		})
	}
}

func TestSetProjectAdminsReplacesButKeepsLead(t *testing.T) {
	s := newSite(t, Options{})
	s.emu.SetProjectAdmins("SHOP", "557058:a")
	s.emu.SetProjectAdmins("SHOP", "557058:b")
	if s.emu.HasPermission("557058:a", "SHOP", "ADMINISTER_PROJECTS") || !s.emu.HasPermission("557058:a", "SHOP", "EDIT_ISSUES") {
		t.Error("a replaced admin should be a member")
	}
	for _, a := range []string{"557058:b", DemoProjectAdminID} {
		if !s.emu.HasPermission(a, "SHOP", "ADMINISTER_PROJECTS") {
			t.Errorf("%s should administer SHOP", a)
		}
	}
	s.emu.SetProjectAdmins("*", "557058:c")
	if !s.emu.IsSiteAdmin("557058:c") || s.emu.IsSiteAdmin(DemoSiteAdminID) {
		t.Error(`SetProjectAdmins("*") should replace the site admins`)
	}
	// The lead can be demoted explicitly.
	s.emu.SetProjectRole("SHOP", DemoProjectAdminID, RoleViewer)
	if got := s.emu.UserPermissions(DemoProjectAdminID, "SHOP"); !slices.Equal(got, []string{"BROWSE_PROJECTS"}) {
		t.Errorf("demoted lead: %v", got)
	}
}
