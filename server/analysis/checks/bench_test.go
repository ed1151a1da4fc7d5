package checks

import (
	"strings"
	"testing"

	"github.com/backlogai/backlogai/server/domain"
)

// benchIssues are shaped like a real backlog: stories with a description
// and criteria, stories that are only a summary, bugs with steps and logs,
// tasks and an epic.
func benchIssues() []domain.Issue {
	pts := 13.0
	return []domain.Issue{
		{Key: "B-1", Type: domain.TypeStory, Summary: "As an account admin, I want to export and email the monthly usage report so that finance can bill customers on time",
			Description: "Context: finance currently asks support for these numbers every month, which takes some time.\n\n" +
				"Acceptance criteria:\n- [ ] The report lists every active seat with its plan\n- [ ] Export to CSV and PDF\n" +
				"- [ ] The email goes to the billing contacts configured in settings\n- [ ] Large accounts (10k seats) export within 30 seconds\n\n" +
				"Notes: depends on BILL-42 being merged first. Should we include trial seats?"},
		{Key: "B-2", Type: domain.TypeStory, Summary: "Saved filters on the backlog page",
			Description: "As a product manager,\nI want to save the filters I use on the backlog page\nso that I can get back to my views quickly.\n\n" +
				"Given I have filtered the backlog by label and assignee\nWhen I click \"Save view\" and name it\nThen the view appears in the sidebar\n" +
				"And opening it restores the same filters\n\nGiven a saved view\nWhen I delete it\nThen it disappears for me only"},
		{Key: "B-3", Type: domain.TypeStory, Summary: "As a developer I want a REST API endpoint and a new database table for webhooks (e.g. retries, signatures)!!", StoryPoints: &pts},
		{Key: "B-4", Type: domain.TypeBug, Summary: "Login fails on Safari 17 after password reset",
			Description: "Steps to reproduce:\n1. Reset the password from the email link\n2. Log in with the new password in Safari 17\n\nExpected: the dashboard opens.\nActual: a blank page; the console shows\n" +
				strings.Repeat("TypeError: undefined is not an object (evaluating 'session.user.id') at app.js:1:23456\n", 8) +
				"Happens on about 30% of attempts. Blocked on SSO-7 being deployed.",
			Links: []domain.Link{{Kind: domain.LinkBlockedBy, OtherKey: "SSO-7"}, {Kind: domain.LinkRelates, OtherKey: "WEB-3"}}},
		{Key: "B-5", Type: domain.TypeTask, Summary: "Upgrade the Postgres driver to 1.14", Description: "TBD: check the changelog for breaking changes."},
		{Key: "B-6", Type: domain.TypeStory, Summary: "As a buyer or seller, I want to drag and drop photos so that I can list items easily",
			Description: "Acceptance criteria\n1. Up to 10 photos per listing\n2. JPEG and PNG, at most 5 MB each\n3. Order can be changed by dragging"},
		{Key: "B-7", Type: domain.TypeEpic, Summary: "Self-serve billing", Description: "Everything customers need to manage plans, invoices and payment methods without talking to sales."},
		{Key: "B-8", Type: domain.TypeStory, Summary: "In order to reduce churn, as a customer success manager, I want a weekly list of at-risk accounts",
			Description: "* accounts with no login in 30 days\n* accounts with more than 5 open tickets\n\nAcceptance criteria:\n* the list is emailed every Monday at 9:00\n* each row links to the account"},
	}
}

// BenchmarkCheck runs Check over a realistic mix of issues; ns/op is per
// issue.
func BenchmarkCheck(b *testing.B) {
	issues := benchIssues()
	opts := DefaultOptions()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		is := &issues[i%len(issues)]
		res := Check(is, opts)
		if res.Letters == nil {
			b.Fatal("no letters")
		}
	}
}
