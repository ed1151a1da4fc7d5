package jiraemu

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pred is a compiled JQL condition.
type pred func(is *issue) bool

// compiled is a JQL query ready to run against the store.
type compiled struct {
	match     pred // nil: unbounded
	less      func(a, b *issue) int
	usesProps bool // depends on entity properties (aliases)
	usesNow   bool // relative dates: results change with time
}

// fieldKind classifies what a JQL field compares.
type fieldKind int

const (
	fkProject fieldKind = iota
	fkKey
	fkIssueType
	fkStatus
	fkStatusCategory
	fkPriority
	fkLabels
	fkComponent
	fkFixVersion
	fkParent
	fkText // summary, description, text
	fkDate
	fkNumber
	fkAliasString
	fkUser
)

// jqlField is a resolved JQL field.
type jqlField struct {
	name  string // as Jira names it in messages
	kind  fieldKind
	num   func(is *issue) (float64, bool)
	date  func(is *issue) (time.Time, bool)
	text  func(is *issue) string
	str   func(is *issue) (string, bool)
	user  func(is *issue) *user
	alias int // index into aliases, or -1
}

var propertyClause = regexp.MustCompile(`^issue\.property\[([^\]]+)\]\.(.+)$`)

// resolveField maps a JQL field name to what it compares.
func (e *Emulator) resolveField(name string) (*jqlField, error) {
	lower := strings.ToLower(name)
	f := &jqlField{name: name, alias: -1}
	switch lower {
	case "project":
		f.kind = fkProject
	case "key", "issuekey", "id", "issue":
		f.name, f.kind = "key", fkKey
	case "issuetype", "type":
		f.name, f.kind = "issuetype", fkIssueType
	case "status":
		f.kind = fkStatus
	case "statuscategory":
		f.name, f.kind = "statusCategory", fkStatusCategory
	case "priority":
		f.kind = fkPriority
	case "labels", "label":
		f.name, f.kind = "labels", fkLabels
	case "component", "components":
		f.name, f.kind = "component", fkComponent
	case "fixversion", "fixversions":
		f.name, f.kind = "fixVersion", fkFixVersion
	case "parent":
		f.kind = fkParent
	case "summary":
		f.kind, f.text = fkText, func(is *issue) string { return is.Summary }
	case "description":
		f.kind, f.text = fkText, func(is *issue) string {
			if d := is.description(); d != nil {
				return adfToText(d)
			}
			return ""
		}
	case "text":
		f.kind, f.text = fkText, func(is *issue) string {
			s := is.Summary
			if d := is.description(); d != nil {
				s += "\n" + adfToText(d)
			}
			for _, c := range is.Comments {
				s += "\n" + adfToText(c.Body)
			}
			return s
		}
	case "created", "createddate":
		f.name, f.kind, f.date = "created", fkDate, func(is *issue) (time.Time, bool) { return is.Created, true }
	case "updated", "updateddate":
		f.name, f.kind, f.date = "updated", fkDate, func(is *issue) (time.Time, bool) { return is.Updated, true }
	case "resolved", "resolutiondate":
		f.name, f.kind, f.date = "resolved", fkDate, func(is *issue) (time.Time, bool) {
			return is.Resolved, is.Status.Cat == catDone && !is.Resolved.IsZero()
		}
	case "statuscategorychangeddate":
		f.name, f.kind, f.date = "statusCategoryChangedDate", fkDate, func(is *issue) (time.Time, bool) { return is.CatChanged, true }
	case "due", "duedate":
		loc := e.opts.Location
		f.name, f.kind, f.date = "due", fkDate, func(is *issue) (time.Time, bool) {
			if is.DueDate == "" {
				return time.Time{}, false
			}
			t, err := time.ParseInLocation(dateLayout, is.DueDate, loc)
			return t, err == nil
		}
	case "votes":
		f.kind, f.num = fkNumber, func(is *issue) (float64, bool) { return float64(is.Votes), true }
	case "watchers":
		f.kind, f.num = fkNumber, func(is *issue) (float64, bool) { return float64(is.Watches), true }
	case "assignee":
		f.kind, f.user = fkUser, func(is *issue) *user { return is.Assignee }
	case "reporter", "creator":
		f.kind, f.user = fkUser, func(is *issue) *user { return is.Reporter }
	case "rank", "cf[10019]":
		f.name, f.kind, f.num = "Rank", fkNumber, func(is *issue) (float64, bool) { return float64(rankOf(is)), true }
	}
	if f.kind != 0 || lower == "project" {
		return f, nil
	}
	sp := e.opts.StoryPointsField
	if lower == strings.ToLower(e.opts.StoryPointsName) || lower == "cf["+strings.TrimPrefix(sp, "customfield_")+"]" {
		f.name, f.kind = e.opts.StoryPointsName, fkNumber
		f.num = func(is *issue) (float64, bool) {
			if is.Points == nil {
				return 0, false
			}
			return *is.Points, true
		}
		return f, nil
	}
	for i, a := range e.aliases {
		match := strings.EqualFold(a.Alias, name)
		if m := propertyClause.FindStringSubmatch(name); m != nil {
			match = m[1] == a.PropertyKey && m[2] == a.Path
		}
		if !match {
			continue
		}
		f.alias = i
		idx := i
		switch a.Type {
		case "number":
			f.kind = fkNumber
			f.num = func(is *issue) (float64, bool) {
				if is.aliasVals == nil || is.aliasVals[idx] == nil {
					return 0, false
				}
				return is.aliasVals[idx].(float64), true
			}
		case "date":
			f.kind = fkDate
			f.date = func(is *issue) (time.Time, bool) {
				if is.aliasVals == nil || is.aliasVals[idx] == nil {
					return time.Time{}, false
				}
				return is.aliasVals[idx].(time.Time), true
			}
		case "text":
			f.kind = fkText
			f.text = func(is *issue) string {
				if is.aliasVals == nil || is.aliasVals[idx] == nil {
					return ""
				}
				return is.aliasVals[idx].(string)
			}
		default:
			f.kind = fkAliasString
			f.str = func(is *issue) (string, bool) {
				if is.aliasVals == nil || is.aliasVals[idx] == nil {
					return "", false
				}
				return is.aliasVals[idx].(string), true
			}
		}
		return f, nil
	}
	return nil, &jqlError{msg: fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", name)}
}

// compile validates a parsed query against the site and builds its
// predicate and order. e.mu must be held.
func (e *Emulator) compile(q *jqlQuery) (*compiled, error) {
	c := &compiled{}
	if q.where != nil {
		m, err := e.compileExpr(q.where, c)
		if err != nil {
			return nil, err
		}
		c.match = m
	}
	less, err := e.compileOrder(q.order, c)
	if err != nil {
		return nil, err
	}
	c.less = less
	return c, nil
}

func (e *Emulator) compileExpr(x jqlExpr, c *compiled) (pred, error) {
	switch x := x.(type) {
	case andExpr:
		l, err := e.compileExpr(x.l, c)
		if err != nil {
			return nil, err
		}
		r, err := e.compileExpr(x.r, c)
		if err != nil {
			return nil, err
		}
		return func(is *issue) bool { return l(is) && r(is) }, nil
	case orExpr:
		l, err := e.compileExpr(x.l, c)
		if err != nil {
			return nil, err
		}
		r, err := e.compileExpr(x.r, c)
		if err != nil {
			return nil, err
		}
		return func(is *issue) bool { return l(is) || r(is) }, nil
	case notExpr:
		in, err := e.compileExpr(x.x, c)
		if err != nil {
			return nil, err
		}
		return func(is *issue) bool { return !in(is) }, nil
	case clauseExpr:
		return e.compileClause(x, c)
	}
	return nil, fmt.Errorf("jiraemu: unknown expression %T", x)
}

func opNotSupported(op, field string) error {
	return &jqlError{msg: fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", op, field)}
}

func valueNotFound(v, field string) error {
	return &jqlError{msg: fmt.Sprintf("The value '%s' does not exist for the field '%s'.", v, field)}
}

// setClause builds a predicate for a field compared by identity against a
// set of values (project, issuetype, status, labels, …). get returns the
// issue's values (none means EMPTY). Jira's != and NOT IN never match an
// empty field.
func setClause(cl clauseExpr, field string, resolve func(v string) (string, error), get func(is *issue) []string) (pred, error) {
	switch cl.op {
	case "=", "!=", "in", "not in", "is", "is not":
	default:
		return nil, opNotSupported(cl.op, field)
	}
	if cl.op == "is" || cl.op == "is not" {
		if len(cl.values) != 1 || !cl.values[0].empty {
			return nil, &jqlError{msg: fmt.Sprintf("The operator '%s' only supports the value 'EMPTY' for the field '%s'.", cl.op, field)}
		}
		want := cl.op == "is"
		return func(is *issue) bool { return (len(get(is)) == 0) == want }, nil
	}
	set := map[string]bool{}
	wantEmpty := false
	for _, v := range cl.values {
		if v.empty {
			wantEmpty = true
			continue
		}
		if v.fn != "" {
			return nil, &jqlError{msg: fmt.Sprintf("Unable to find JQL function '%s()'.", v.fn)}
		}
		id, err := resolve(v.text)
		if err != nil {
			return nil, err
		}
		set[id] = true
	}
	positive := cl.op == "=" || cl.op == "in"
	return func(is *issue) bool {
		vals := get(is)
		if len(vals) == 0 {
			return positive && wantEmpty
		}
		any := false
		for _, v := range vals {
			if set[v] {
				any = true
				break
			}
		}
		if positive {
			return any
		}
		return !any
	}, nil
}

func (e *Emulator) compileClause(cl clauseExpr, c *compiled) (pred, error) {
	f, err := e.resolveField(cl.field)
	if err != nil {
		return nil, err
	}
	if f.alias >= 0 {
		c.usesProps = true
	}
	for _, v := range cl.values {
		if v.fn != "" && v.fn != "currentuser" && v.fn != "membersof" {
			c.usesNow = true
		}
		if _, err := relativeDuration(v.text); err == nil && f.kind == fkDate {
			c.usesNow = true
		}
	}
	one := func(is *issue, s string) []string { return []string{s} }
	switch f.kind {
	case fkProject:
		return setClause(cl, "project", func(v string) (string, error) {
			if p := e.st.project(v); p != nil {
				return p.Key, nil
			}
			for _, p := range e.st.projects {
				if strings.EqualFold(p.Name, v) {
					return p.Key, nil
				}
			}
			return "", valueNotFound(v, "project")
		}, func(is *issue) []string { return one(is, is.Project.Key) })
	case fkIssueType:
		return setClause(cl, "issuetype", func(v string) (string, error) {
			if t := findIssueType(v); t != nil {
				return t.ID, nil
			}
			return "", valueNotFound(v, "issuetype")
		}, func(is *issue) []string { return one(is, is.Type.ID) })
	case fkStatus:
		return setClause(cl, "status", func(v string) (string, error) {
			if s := findStatus(v); s != nil {
				return s.ID, nil
			}
			return "", valueNotFound(v, "status")
		}, func(is *issue) []string { return one(is, is.Status.ID) })
	case fkStatusCategory:
		return setClause(cl, "statusCategory", func(v string) (string, error) {
			if sc := findStatusCategory(v); sc != nil {
				return sc.Key, nil
			}
			return "", valueNotFound(v, "statusCategory")
		}, func(is *issue) []string { return one(is, is.Status.Cat.Key) })
	case fkLabels:
		return setClause(cl, "labels", func(v string) (string, error) { return v, nil },
			func(is *issue) []string { return is.Labels })
	case fkComponent:
		return setClause(cl, "component", func(v string) (string, error) {
			for _, p := range e.st.projects {
				if comp := p.component(v); comp != nil {
					return comp.Name, nil
				}
			}
			return "", valueNotFound(v, "component")
		}, func(is *issue) []string {
			out := make([]string, len(is.Components))
			for i, comp := range is.Components {
				out[i] = comp.Name
			}
			return out
		})
	case fkFixVersion:
		return setClause(cl, "fixVersion", func(v string) (string, error) {
			for _, p := range e.st.projects {
				if ver := p.version(v); ver != nil {
					return ver.Name, nil
				}
			}
			return "", valueNotFound(v, "fixVersion")
		}, func(is *issue) []string {
			out := make([]string, len(is.FixVersions))
			for i, v := range is.FixVersions {
				out[i] = v.Name
			}
			return out
		})
	case fkParent:
		return setClause(cl, "parent", func(v string) (string, error) {
			if p := e.st.issue(v); p != nil {
				return p.Key, nil
			}
			return "", &jqlError{msg: fmt.Sprintf("An issue with key '%s' does not exist for field 'parent'.", v)}
		}, func(is *issue) []string {
			if is.Parent == nil {
				return nil
			}
			return one(is, is.Parent.Key)
		})
	case fkAliasString:
		return setClause(cl, f.name, func(v string) (string, error) { return v, nil }, func(is *issue) []string {
			if s, ok := f.str(is); ok {
				return []string{s}
			}
			return nil
		})
	case fkUser:
		return setClause(cl, f.name, func(v string) (string, error) { return v, nil }, func(is *issue) []string {
			if u := f.user(is); u != nil {
				return []string{u.AccountID}
			}
			return nil
		})
	case fkKey:
		return e.keyClause(cl)
	case fkPriority:
		return e.priorityClause(cl)
	case fkText:
		return textClause(cl, f)
	case fkNumber:
		return numberClause(cl, f)
	case fkDate:
		return e.dateClause(cl, f)
	}
	return nil, fmt.Errorf("jiraemu: field kind %d", f.kind)
}

// keyClause handles key/issuekey/id: =, !=, in, not in and ordering
// comparisons. A key that does not exist is an error, as in Jira.
func (e *Emulator) keyClause(cl clauseExpr) (pred, error) {
	var targets []*issue
	for _, v := range cl.values {
		if v.empty || v.fn != "" {
			return nil, &jqlError{msg: "The field 'key' does not support searching for EMPTY values or functions."}
		}
		is := e.st.issue(v.text)
		if is == nil {
			return nil, &jqlError{msg: fmt.Sprintf("An issue with key '%s' does not exist for field 'key'.", v.text)}
		}
		targets = append(targets, is)
	}
	switch cl.op {
	case "=", "in":
		set := map[*issue]bool{}
		for _, t := range targets {
			set[t] = true
		}
		return func(is *issue) bool { return set[is] }, nil
	case "!=", "not in":
		set := map[*issue]bool{}
		for _, t := range targets {
			set[t] = true
		}
		return func(is *issue) bool { return !set[is] }, nil
	case ">", ">=", "<", "<=":
		if len(targets) != 1 {
			return nil, opNotSupported(cl.op, "key")
		}
		t := targets[0]
		op := cl.op
		return func(is *issue) bool {
			if is.Project != t.Project {
				return false
			}
			return cmpOp(op, float64(is.Num), float64(t.Num))
		}, nil
	}
	return nil, opNotSupported(cl.op, "key")
}

func (e *Emulator) priorityClause(cl clauseExpr) (pred, error) {
	switch cl.op {
	case ">", ">=", "<", "<=":
		if len(cl.values) != 1 || cl.values[0].empty {
			return nil, opNotSupported(cl.op, "priority")
		}
		p := findPriority(cl.values[0].text)
		if p == nil {
			return nil, valueNotFound(cl.values[0].text, "priority")
		}
		op := cl.op
		// A higher priority (lower rank) is "greater".
		return func(is *issue) bool { return cmpOp(op, float64(-is.Priority.Rank), float64(-p.Rank)) }, nil
	}
	return setClause(cl, "priority", func(v string) (string, error) {
		if p := findPriority(v); p != nil {
			return p.ID, nil
		}
		return "", valueNotFound(v, "priority")
	}, func(is *issue) []string { return []string{is.Priority.ID} })
}

func cmpOp(op string, a, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	case "<=":
		return a <= b
	}
	return false
}

func emptyOps(cl clauseExpr, field string, has func(is *issue) bool) (pred, bool, error) {
	if cl.op != "is" && cl.op != "is not" {
		return nil, false, nil
	}
	if len(cl.values) != 1 || !cl.values[0].empty {
		return nil, true, &jqlError{msg: fmt.Sprintf("The operator '%s' only supports the value 'EMPTY' for the field '%s'.", cl.op, field)}
	}
	want := cl.op == "is not"
	return func(is *issue) bool { return has(is) == want }, true, nil
}

func numberClause(cl clauseExpr, f *jqlField) (pred, error) {
	if p, ok, err := emptyOps(cl, f.name, func(is *issue) bool { _, ok := f.num(is); return ok }); ok {
		return p, err
	}
	var nums []float64
	for _, v := range cl.values {
		if v.empty || v.fn != "" {
			return nil, &jqlError{msg: fmt.Sprintf("The value for field '%s' must be a number.", f.name)}
		}
		n, err := strconv.ParseFloat(v.text, 64)
		if err != nil {
			return nil, &jqlError{msg: fmt.Sprintf("The value '%s' for field '%s' is not a valid number.", v.text, f.name)}
		}
		nums = append(nums, n)
	}
	op := cl.op
	switch op {
	case "=", "!=", ">", ">=", "<", "<=":
		if len(nums) != 1 {
			return nil, opNotSupported(op, f.name)
		}
		n := nums[0]
		return func(is *issue) bool {
			v, ok := f.num(is)
			return ok && cmpOp(op, v, n)
		}, nil
	case "in", "not in":
		return func(is *issue) bool {
			v, ok := f.num(is)
			if !ok {
				return false
			}
			return slices.Contains(nums, v) == (op == "in")
		}, nil
	}
	return nil, opNotSupported(op, f.name)
}

// textClause implements ~ and !~ as a case-insensitive match of every word
// of the query (a trailing * matches a prefix), a rough stand-in for
// Jira's stemmed full-text search.
func textClause(cl clauseExpr, f *jqlField) (pred, error) {
	if p, ok, err := emptyOps(cl, f.name, func(is *issue) bool { return f.text(is) != "" }); ok {
		return p, err
	}
	if cl.op != "~" && cl.op != "!~" || len(cl.values) != 1 || cl.values[0].empty {
		return nil, opNotSupported(cl.op, f.name)
	}
	words := strings.Fields(strings.ToLower(cl.values[0].text))
	want := cl.op == "~"
	return func(is *issue) bool {
		toks := wordSet(f.text(is))
		all := true
		for _, w := range words {
			w = strings.Trim(w, `"'.,;:!?()`)
			if w == "" {
				continue
			}
			if strings.HasSuffix(w, "*") {
				prefix := strings.TrimSuffix(w, "*")
				found := false
				for t := range toks {
					if strings.HasPrefix(t, prefix) {
						found = true
						break
					}
				}
				all = all && found
				continue
			}
			all = all && toks[w]
		}
		return all == want
	}, nil
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	}) {
		m[w] = true
	}
	return m
}

func (e *Emulator) dateClause(cl clauseExpr, f *jqlField) (pred, error) {
	if p, ok, err := emptyOps(cl, f.name, func(is *issue) bool { _, ok := f.date(is); return ok }); ok {
		return p, err
	}
	var ts []time.Time
	for _, v := range cl.values {
		t, err := e.dateValue(v, f.name)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	op := cl.op
	switch op {
	case "=", "!=", ">", ">=", "<", "<=":
		if len(ts) != 1 {
			return nil, opNotSupported(op, f.name)
		}
		t := ts[0]
		return func(is *issue) bool {
			v, ok := f.date(is)
			return ok && cmpOp(op, float64(v.Unix()), float64(t.Unix()))
		}, nil
	case "in", "not in":
		return func(is *issue) bool {
			v, ok := f.date(is)
			if !ok {
				return false
			}
			in := false
			for _, t := range ts {
				if v.Unix() == t.Unix() {
					in = true
				}
			}
			return in == (op == "in")
		}, nil
	}
	return nil, opNotSupported(op, f.name)
}

var relativeRE = regexp.MustCompile(`^([+-]?)((?:\d+[wdhm]\s*)+)$`)
var relativePartRE = regexp.MustCompile(`(\d+)([wdhm])`)

// relativeDuration parses Jira's period format ("-1d", "4w 2d", "-30m").
func relativeDuration(s string) (time.Duration, error) {
	m := relativeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("not a period")
	}
	var d time.Duration
	for _, p := range relativePartRE.FindAllStringSubmatch(m[2], -1) {
		n, _ := strconv.Atoi(p[1])
		unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[p[2]]
		d += time.Duration(n) * unit
	}
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}

var dateLayouts = []string{"2006/01/02 15:04", "2006-01-02 15:04", "2006/01/02", "2006-01-02"}

// dateValue interprets a JQL date operand in the emulator's time zone.
func (e *Emulator) dateValue(v jqlValue, field string) (time.Time, error) {
	now := e.now().In(e.opts.Location)
	if v.fn != "" {
		var off time.Duration
		if len(v.args) > 0 {
			d, err := relativeDuration(v.args[0])
			if err != nil {
				return time.Time{}, &jqlError{msg: fmt.Sprintf("Function '%s' has an invalid argument '%s'.", v.fn, v.args[0])}
			}
			off = d
		}
		y, mo, d := now.Date()
		day := time.Date(y, mo, d, 0, 0, 0, 0, now.Location())
		switch v.fn {
		case "now":
			return now, nil
		case "startofday":
			return day.Add(off), nil
		case "endofday":
			return day.Add(24*time.Hour - time.Millisecond).Add(off), nil
		case "startofweek":
			return day.AddDate(0, 0, -int(day.Weekday())).Add(off), nil
		case "startofmonth":
			return time.Date(y, mo, 1, 0, 0, 0, 0, now.Location()).Add(off), nil
		}
		return time.Time{}, &jqlError{msg: fmt.Sprintf("Unable to find JQL function '%s()'.", v.fn)}
	}
	if v.empty {
		return time.Time{}, &jqlError{msg: fmt.Sprintf("The operator does not support the value EMPTY for field '%s'.", field)}
	}
	if d, err := relativeDuration(v.text); err == nil {
		return now.Add(d), nil
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, v.text, e.opts.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &jqlError{msg: fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", v.text, field)}
}

// compileOrder builds the comparator for ORDER BY. Empty values sort as
// the greatest (last ascending, first descending); the default order and
// the final tie-break are key descending.
func (e *Emulator) compileOrder(keys []sortKey, c *compiled) (func(a, b *issue) int, error) {
	type cmpFn func(a, b *issue) int
	var fns []cmpFn
	for _, k := range keys {
		var fn cmpFn
		switch strings.ToLower(k.field) {
		case "key", "issuekey", "id":
			fn = cmpKey
		case "summary":
			fn = func(a, b *issue) int { return strings.Compare(strings.ToLower(a.Summary), strings.ToLower(b.Summary)) }
		case "status":
			fn = func(a, b *issue) int { return strings.Compare(a.Status.Name, b.Status.Name) }
		case "issuetype", "type":
			fn = func(a, b *issue) int { return strings.Compare(a.Type.Name, b.Type.Name) }
		case "priority":
			fn = func(a, b *issue) int { return b.Priority.Rank - a.Priority.Rank }
		default:
			f, err := e.resolveField(k.field)
			if err != nil {
				return nil, &jqlError{msg: fmt.Sprintf("Not able to sort using field '%s'.", k.field)}
			}
			if f.alias >= 0 {
				c.usesProps = true
			}
			switch {
			case f.num != nil:
				fn = func(a, b *issue) int {
					x, okx := f.num(a)
					y, oky := f.num(b)
					return cmpNullable(okx, oky, func() int { return cmpFloat(x, y) })
				}
			case f.date != nil:
				fn = func(a, b *issue) int {
					x, okx := f.date(a)
					y, oky := f.date(b)
					return cmpNullable(okx, oky, func() int { return x.Compare(y) })
				}
			case f.str != nil:
				fn = func(a, b *issue) int {
					x, okx := f.str(a)
					y, oky := f.str(b)
					return cmpNullable(okx, oky, func() int { return strings.Compare(x, y) })
				}
			default:
				return nil, &jqlError{msg: fmt.Sprintf("Not able to sort using field '%s'.", k.field)}
			}
		}
		if k.desc {
			inner := fn
			fn = func(a, b *issue) int { return -inner(a, b) }
		}
		fns = append(fns, fn)
	}
	return func(a, b *issue) int {
		for _, fn := range fns {
			if r := fn(a, b); r != 0 {
				return r
			}
		}
		return -cmpKey(a, b)
	}, nil
}

func cmpKey(a, b *issue) int {
	if a.Project != b.Project {
		return strings.Compare(a.Project.Key, b.Project.Key)
	}
	return a.Num - b.Num
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// cmpNullable orders present values by cmp and empty ones after them.
func cmpNullable(okx, oky bool, cmp func() int) int {
	switch {
	case okx && oky:
		return cmp()
	case okx:
		return -1
	case oky:
		return 1
	}
	return 0
}
