package jiraemu

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"time"
)

// SyntheticKey is the project key of Generate's projects.
const SyntheticKey = "SYN"

// Tables for synthetic issues: combinations give many distinct, plausible
// stories without storing any text per issue.
var (
	synRoles = []string{"shopper", "returning customer", "guest shopper", "merchant", "store owner", "warehouse manager",
		"support agent", "marketing manager", "finance admin", "developer integrating the API", "store administrator", "mobile shopper"}
	synActions = []string{"filter", "export", "search", "bulk edit", "schedule", "preview", "compare", "archive", "share",
		"track", "import", "duplicate", "reorder", "approve", "refund", "tag"}
	synObjects = []string{"orders", "products", "discount codes", "customer reviews", "shipping labels", "invoices",
		"subscriptions", "gift cards", "abandoned carts", "inventory levels", "product variants", "return requests",
		"payment disputes", "loyalty points", "store pages", "email campaigns", "tax reports", "supplier contacts"}
	synQualifiers = []string{"by date range", "from the dashboard", "on mobile", "in bulk", "by customer segment",
		"across all stores", "with one click", "by status", "from the order page", "per sales channel"}
	synBenefits = []string{"I save time every week", "I can answer customers faster", "fewer orders are shipped late",
		"I can spot problems before customers do", "our finance close takes less time", "I do not lose sales",
		"I can plan stock for the season", "customers trust our store", "I can measure what works",
		"the team stops copying data by hand"}
	synBugAreas = []string{"Checkout", "Cart", "Search", "Product page", "Order export", "Admin dashboard",
		"Payment webhook", "Email notifications", "Mobile app", "Inventory sync"}
	synBugSymptoms = []string{"shows a blank page", "times out after 30 seconds", "double-charges the card",
		"rounds the tax total wrong", "ignores the selected currency", "loses the discount code",
		"crashes when the cart is empty", "sends the email twice", "shows stale stock levels", "returns a 500 error"}
	synTasks = []string{"Upgrade the database driver", "Add monitoring for", "Remove the feature flag for",
		"Write runbook for", "Load test", "Migrate cron jobs of", "Rotate credentials of", "Clean up logs of"}
	synLabels = []string{"customer", "enterprise", "revenue", "churn", "mobile", "performance", "tech-debt",
		"security", "ux", "billing", "quick-win", "accessibility"}
	synComponents = []string{"Storefront", "Checkout", "Payments", "Catalog", "Orders", "Merchant Admin", "Notifications", "Platform"}
	synGiven      = []string{"I am signed in", "the store has 500 products", "an order is paid", "I have admin rights",
		"the cart contains two items", "a customer has an open return"}
	synThen = []string{"the list updates within 2 seconds", "I see a confirmation message", "the change is saved",
		"an audit entry is recorded", "the customer receives an email", "the totals match the invoice"}
)

// syntheticNow is the reference time of synthetic projects.
var syntheticNow = time.Date(2026, 5, 20, 10, 0, 0, 0, time.UTC)

// Generate builds a synthetic project (key SYN) of n issues, deterministic
// for a seed, for load tests (10k, 100k issues). Descriptions are rendered
// on demand rather than stored, so a large project stays small in memory:
// about 0.5 KB per issue. Issues have types, statuses, priorities, labels,
// components, votes, watchers, story points on most done issues, epics as
// parents, due dates, fix versions and Blocks/Duplicate links.
func Generate(n int, seed int64) *Fixture {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5bd1e995))
	f := &Fixture{
		Now: syntheticNow,
		Project: FixtureProject{ID: "20000", Key: SyntheticKey, Name: "Synthetic Commerce", BoardID: 2,
			Description: "Generated project for load tests."},
	}
	for i := 0; i < 10; i++ {
		f.Users = append(f.Users, FixtureUser{AccountID: "712020:syn-user-" + itoa(i), DisplayName: "Synthetic User " + itoa(i)})
	}
	f.Project.Lead = f.Users[0].AccountID
	for _, c := range synComponents {
		f.Project.Components = append(f.Project.Components, FixtureComponent{Name: c})
	}
	for i := 0; i < 6; i++ {
		d := syntheticNow.AddDate(0, 2*(i-3), 0)
		f.Project.Versions = append(f.Project.Versions, FixtureVersion{Name: "v" + itoa(i+1) + ".0",
			ReleaseDate: d.Format(dateLayout), Released: d.Before(syntheticNow)})
	}
	f.Issues = make([]FixtureIssue, n)
	points := []float64{1, 2, 3, 5, 8, 13}
	statuses := []string{"To Do", "To Do", "To Do", "In Progress", "In Review", "Done", "Done", "Done"}
	prios := []string{"Highest", "High", "High", "Medium", "Medium", "Medium", "Medium", "Low", "Low", "Lowest"}
	var epics []string
	for i := range f.Issues {
		num := i + 1
		fi := &f.Issues[i]
		fi.ID = i64toa(int64(200000 + num))
		fi.Key = SyntheticKey + "-" + itoa(num)
		roll := r.IntN(100)
		switch {
		case i%50 == 0:
			fi.Type = "Epic"
		case roll < 62:
			fi.Type = "Story"
		case roll < 82:
			fi.Type = "Bug"
		default:
			fi.Type = "Task"
		}
		fi.Status = statuses[r.IntN(len(statuses))]
		fi.Priority = prios[r.IntN(len(prios))]
		role, act, obj, qual, ben := r.IntN(len(synRoles)), r.IntN(len(synActions)), r.IntN(len(synObjects)), r.IntN(len(synQualifiers)), r.IntN(len(synBenefits))
		switch fi.Type {
		case "Epic":
			fi.Summary = strings.ToUpper(synObjects[obj][:1]) + synObjects[obj][1:] + " management, wave " + itoa(len(epics)+1)
			epics = append(epics, fi.Key)
		case "Story":
			if r.IntN(2) == 0 {
				fi.Summary = "As a " + synRoles[role] + ", I want to " + synActions[act] + " " + synObjects[obj] + " " + synQualifiers[qual] + " so that " + synBenefits[ben]
			} else {
				fi.Summary = strings.ToUpper(synActions[act][:1]) + synActions[act][1:] + " " + synObjects[obj] + " " + synQualifiers[qual]
			}
		case "Bug":
			fi.Summary = synBugAreas[r.IntN(len(synBugAreas))] + " " + synBugSymptoms[r.IntN(len(synBugSymptoms))] + " for " + synObjects[obj]
		default:
			fi.Summary = synTasks[r.IntN(len(synTasks))] + " " + synObjects[obj] + " service"
		}
		if fi.Type != "Epic" && len(epics) > 0 && r.IntN(10) < 7 {
			fi.Parent = epics[len(epics)-1-r.IntN(min(3, len(epics)))]
		}
		if r.IntN(3) == 0 {
			fi.Labels = []string{synLabels[r.IntN(len(synLabels))]}
			if r.IntN(4) == 0 {
				if l := synLabels[r.IntN(len(synLabels))]; l != fi.Labels[0] {
					fi.Labels = append(fi.Labels, l)
				}
			}
		}
		fi.Components = []string{synComponents[r.IntN(len(synComponents))]}
		if fi.Status == "Done" && fi.Type != "Epic" && r.IntN(10) < 8 || fi.Status != "Done" && r.IntN(4) == 0 {
			p := points[r.IntN(len(points))]
			fi.StoryPoints = &p
		}
		fi.Votes = int(r.ExpFloat64() * 2)
		fi.Watches = 1 + int(r.ExpFloat64()*2)
		fi.Reporter = f.Users[r.IntN(len(f.Users))].AccountID
		if fi.Status != "To Do" {
			fi.Assignee = f.Users[r.IntN(len(f.Users))].AccountID
		}
		age := time.Duration(float64(n-i) / float64(n) * 730 * 24 * float64(time.Hour))
		fi.Created = syntheticNow.Add(-age).Truncate(time.Second)
		fi.Updated = fi.Created.Add(time.Duration(r.Float64() * float64(age))).Truncate(time.Second)
		if fi.Status != "Done" && r.IntN(12) == 0 {
			fi.DueDate = syntheticNow.AddDate(0, 0, r.IntN(60)-10).Format(dateLayout)
		}
		if r.IntN(4) == 0 {
			v := f.Project.Versions[r.IntN(len(f.Project.Versions))]
			if v.Released == (fi.Status == "Done") {
				fi.FixVersions = []string{v.Name}
			}
		}
		if fi.Status == "Done" {
			fi.Changelog = []FixtureHistory{{Author: fi.Reporter, Created: fi.Updated, Items: []FixtureChangeItem{{
				Field: "status", FieldType: "jira", FieldID: "status", From: "10000", FromString: "To Do", To: "10002", ToString: "Done"}}}}
		}
		dseed := uint64(seed)*1_000_003 + uint64(num)
		typ, sum := fi.Type, fi.Summary
		fi.lazy = func() json.RawMessage { return syntheticDescription(dseed, typ, sum) }
		if i > 0 && r.IntN(25) == 0 {
			other := f.Issues[r.IntN(i)].Key
			f.Links = append(f.Links, FixtureLink{Type: "Blocks", Inward: other, Outward: fi.Key})
		}
		if fi.Type == "Story" && i > 0 && r.IntN(60) == 0 {
			f.Links = append(f.Links, FixtureLink{Type: "Duplicate", Inward: fi.Key, Outward: f.Issues[r.IntN(i)].Key})
		}
	}
	return f
}

// syntheticDescription renders a synthetic issue's ADF description.
func syntheticDescription(seed uint64, typ, summary string) json.RawMessage {
	r := rand.New(rand.NewPCG(seed, 0x2545f491))
	switch typ {
	case "Bug":
		return adfDoc(
			adfHeading(3, "Steps to reproduce"),
			adfList(true, "Sign in as a merchant", "Open the affected page", "Repeat the action from the summary"),
			adfPara(adfStrong("Expected: "), adfText("the action completes normally.")),
			adfPara(adfStrong("Actual: "), adfText(strings.ToLower(summary[:1])+summary[1:]+".")),
		)
	case "Epic":
		return adfDoc(adfP("This epic groups the work on "+strings.ToLower(summary)+"."),
			adfP("Success metric: fewer support tickets about this area within one quarter."))
	case "Task":
		return adfDoc(adfP(summary+"."), adfList(false, "Update the configuration", "Verify on staging", "Announce in the release notes"))
	}
	story := summary
	if !strings.HasPrefix(summary, "As a") {
		story = "As a " + synRoles[r.IntN(len(synRoles))] + ", I want to " + strings.ToLower(summary[:1]) + summary[1:] +
			" so that " + synBenefits[r.IntN(len(synBenefits))] + "."
	}
	n := 2 + r.IntN(3)
	acs := make([]string, n)
	for i := range acs {
		acs[i] = "Given " + synGiven[r.IntN(len(synGiven))] + ", when I " + synActions[r.IntN(len(synActions))] + " " +
			synObjects[r.IntN(len(synObjects))] + ", then " + synThen[r.IntN(len(synThen))]
	}
	return adfDoc(adfP(story), adfHeading(3, "Acceptance criteria"), adfList(false, acs...))
}
