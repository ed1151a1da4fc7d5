package web

// Framework inputs (RICE, WSJF, ICE, custom criteria) entered in the glance, and their explanation there.

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/access"
	"github.com/backlogai/backlogai/server/analysis/framework"
	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/store"
)

// frameworkView is the glance's explanation of a framework score.
type frameworkView struct {
	Title         string
	Formula       string
	Normalisation string
	Inputs        []frameworkInputView
	Missing       int
}

type frameworkInputView struct {
	Name, Value, Source, Detail string
	Kind                        string // "entered", "field" or "default"
}

var frameworkTitles = map[string]string{"rice": "RICE", "wsjf": "WSJF", "ice": "ICE", "custom": "Custom criteria"}

func frameworkViewOf(fs *domain.FrameworkScore) *frameworkView {
	if fs == nil {
		return nil
	}
	v := &frameworkView{Title: frameworkTitles[fs.Name], Formula: fs.Formula, Normalisation: fs.Normalisation, Missing: len(fs.Missing)}
	if v.Title == "" {
		v.Title = fs.Name
	}
	for _, in := range fs.Inputs {
		src := map[string]string{"entered": "entered in the glance", "field": "from its Jira field", "default": "not given: derived from the pillars"}[in.Source]
		if src == "" {
			src = in.Source
		}
		detail := in.Detail
		if in.Source == "field" && detail != "" {
			src, detail = "from "+detail, "" // "from Jira field Reach"
		}
		v.Inputs = append(v.Inputs, frameworkInputView{Name: in.Name, Value: fmtNum(in.Value), Source: src, Detail: detail, Kind: in.Source})
	}
	return v
}

type inputsRequest struct {
	// Values maps input names to numbers; null removes an entered value.
	Values map[string]*float64 `json:"values"`
}

// putInputs stores framework inputs a person entered in the glance: as the
// issue's backlogai-inputs property, written as that person (who needs
// permission to edit the issue), then re-analyses the issue.
func (u *ui) putInputs(c echo.Context) error {
	key, err := issueParam(c)
	if err != nil {
		return err
	}
	var req inputsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if len(req.Values) == 0 {
		return BadRequest("values: give at least one input")
	}
	ctx := c.Request().Context()
	id := identity(c)
	project := projectOfIssue(key)
	ts := u.s.Store.Tenant(id.Tenant)
	p, err := ts.Project(ctx, project)
	if err != nil {
		return err
	}
	cfg := p.Strategy.Framework
	if !framework.Active(cfg) {
		return BadRequest("values: " + project + " scores with the five pillars; choose RICE, WSJF, ICE or custom criteria on the Strategy tab first")
	}
	for name, v := range req.Values {
		if v == nil {
			continue
		}
		if err := framework.ValidateValue(cfg, name, *v); err != nil {
			return BadRequest("values." + strings.TrimPrefix(err.Error(), "inputs."))
		}
	}
	if u.s.Backlog == nil {
		return &APIError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "Entering inputs is not available on this server."}
	}
	if err := u.s.requirePermission(c, project, access.EditIssues); err != nil {
		return err
	}
	model, unlock, err := u.s.Models.Get(ctx, id.Tenant, project)
	if err != nil {
		return err
	}
	is, ok := model.Issue(key)
	unlock()
	if !ok {
		return &APIError{Status: http.StatusNotFound, Code: "not_found", Message: key + " is not analysed yet."}
	}
	// A mapped field with a value wins over an entered one (package
	// framework): entering it here would change nothing.
	for name, v := range req.Values {
		if fv, mapped := is.FieldValues[cfg.Fields[name]]; v != nil && mapped {
			return BadRequest("values." + name + ": read from Jira field " + framework.FieldLabel(cfg, name) + ", which holds " + fmtNum(fv) + " on " + key + "; change it in Jira")
		}
	}
	// Entered values replace the entered ones; values read from mapped
	// fields stay as they are.
	entered := map[string]float64{}
	for k, v := range is.Inputs {
		if is.InputSources[k] != "field" {
			entered[k] = v
		}
	}
	for k, v := range req.Values {
		if v == nil {
			delete(entered, k)
		} else {
			entered[k] = *v
		}
	}
	client, err := u.s.JiraClients.ForUser(ctx, id.Tenant, id.AccountID) // written as the person
	if err != nil {
		return err
	}
	if err := client.SetProperty(ctx, key, jira.InputsProperty, entered); err != nil {
		return err
	}
	is.Inputs, is.InputSources = map[string]float64{}, map[string]string{}
	for k, v := range entered {
		is.Inputs[k], is.InputSources[k] = v, "entered"
	}
	// The stored snapshot carries them to every replica's model (a model
	// re-reads recent snapshots, so an in-memory change alone would not last).
	if err := ts.SaveResults(ctx, project, []store.ResultInput{{Issue: is}}); err != nil {
		return err
	}
	if err := u.s.Backlog.Reanalyse(ctx, id.Tenant, project, key); err != nil {
		return err
	}
	u.s.log(c).Info("framework inputs entered", "issue", key, "inputs", len(entered))
	return c.JSON(http.StatusOK, map[string]any{"key": key, "inputs": entered})
}
