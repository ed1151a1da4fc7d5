// Package access decides whether the person acting may make a write, by
// asking Jira's permission-check API for the acting account's
// permissions. Answers are cached per (tenant, account, project) for at
// most a minute, so a revoked permission stops working within that time.
// Every failure to get an answer refuses the write (fail closed).
package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/backlogai/backlogai/server/domain"
	"github.com/backlogai/backlogai/server/jira"
	"github.com/backlogai/backlogai/server/lru"
)

// Permission is a Jira permission key.
type Permission string

// The permissions writes need. Administer is global (Jira site
// administrators); the others are project permissions.
const (
	EditIssues         Permission = jira.PermissionEditIssues
	CreateIssues       Permission = jira.PermissionCreateIssues
	LinkIssues         Permission = jira.PermissionLinkIssues
	BrowseProjects     Permission = "BROWSE_PROJECTS"
	ScheduleIssues     Permission = "SCHEDULE_ISSUES" // Jira's rank API needs it besides EditIssues
	AdministerProjects Permission = jira.PermissionAdministerProjects
	Administer         Permission = jira.PermissionAdminister
)

// projectPermissions are asked together in every check of a project, so
// one Jira call answers every write of the next minute.
var projectPermissions = []string{string(EditIssues), string(CreateIssues), string(LinkIssues), string(AdministerProjects), string(BrowseProjects), string(ScheduleIssues)}

// Label is the permission's name as Jira's UI shows it.
func (p Permission) Label() string {
	switch p {
	case EditIssues:
		return "Edit issues"
	case CreateIssues:
		return "Create issues"
	case LinkIssues:
		return "Link issues"
	case AdministerProjects:
		return "Administer projects"
	case BrowseProjects:
		return "Browse projects"
	case ScheduleIssues:
		return "Schedule issues"
	case Administer:
		return "Administer Jira"
	}
	return string(p)
}

// Limits of the cache.
const (
	// MaxTTL is the longest an answer is reused.
	MaxTTL = 60 * time.Second
	// DefaultMaxEntries bounds the cache (about 200 bytes an entry).
	DefaultMaxEntries = 20000
	// DefaultTimeout bounds one check: a person is waiting.
	DefaultTimeout = 10 * time.Second
)

// ErrAnonymous is returned for a write without an acting account (a
// context token without sub).
var ErrAnonymous = fmt.Errorf("access: no signed-in user: %w", domain.ErrForbidden)

// DeniedError says which permission the account lacks.
type DeniedError struct {
	Permission Permission
	Project    string // project key; "" for a global permission
}

func (e *DeniedError) Error() string {
	if e.Project == "" {
		return fmt.Sprintf("access: %s denied", e.Permission)
	}
	return fmt.Sprintf("access: %s denied on %s", e.Permission, e.Project)
}

// Unwrap makes a denial a domain.ErrForbidden.
func (e *DeniedError) Unwrap() error { return domain.ErrForbidden }

// UnavailableError says Jira did not answer the check (down, rate
// limited, refusing the app): the write is refused, but it is not the
// person's fault, so it is never a 403.
type UnavailableError struct {
	Err error
}

func (e *UnavailableError) Error() string { return "access: permission check failed: " + e.Err.Error() }

// Unwrap makes it a domain.ErrUnavailable (the cause stays in Err, for
// logs: a Jira 403 must not turn into the person's 403).
func (e *UnavailableError) Unwrap() error { return domain.ErrUnavailable }

// Clients returns the Jira client of a tenant that acts as the app
// (jiraclients.Registry.App).
type Clients func(t *domain.Tenant) (*jira.Client, error)

// Checker answers permission questions for every tenant. Set the fields,
// then use it; zero optional fields take defaults on first use. It is
// safe for concurrent use.
type Checker struct {
	// Clients asks Jira (required; without it every check fails closed).
	Clients    Clients
	Now        func() time.Time
	TTL        time.Duration // at most MaxTTL (default MaxTTL)
	MaxEntries int           // default DefaultMaxEntries
	Timeout    time.Duration // default DefaultTimeout

	once     sync.Once
	mu       sync.Mutex
	grants   *lru.Cache[grantKey, grantSet]
	ids      *lru.Cache[idKey, string]
	inflight map[grantKey]*call // checks under way: one Jira call for many waiters
}

// call is a permission check under way.
type call struct {
	done chan struct{}
	g    grantSet
	err  error
}

type grantKey struct {
	tenant    int64
	account   string
	projectID string
}

type idKey struct {
	tenant  int64
	project string
}

type grantSet struct {
	global  []string
	project []string
}

// init fills the defaults and the caches, once.
func (c *Checker) init() {
	c.once.Do(func() {
		if c.Now == nil {
			c.Now = time.Now
		}
		if c.TTL <= 0 || c.TTL > MaxTTL {
			c.TTL = MaxTTL
		}
		if c.MaxEntries <= 0 {
			c.MaxEntries = DefaultMaxEntries
		}
		if c.Timeout <= 0 {
			c.Timeout = DefaultTimeout
		}
		c.inflight = map[grantKey]*call{}
		c.grants = lru.New[grantKey, grantSet](c.MaxEntries)
		c.ids = lru.New[idKey, string](c.MaxEntries/10 + 1)
	})
}

// Project names the project a write touches. ID is Jira's numeric id when
// the caller knows it (the page's context token carries it); without it
// the id is looked up by key.
type Project struct {
	Key string
	ID  string
}

// Require returns nil when the account holds every one of perms on the
// project (Administer is global and needs no project). It returns
// ErrAnonymous without an account, a *DeniedError naming the first
// missing permission, or an *UnavailableError when Jira gave no answer.
// Jira administrators hold Administer projects on every project.
func (c *Checker) Require(ctx context.Context, t *domain.Tenant, accountID string, p Project, perms ...Permission) error {
	if accountID == "" {
		return ErrAnonymous
	}
	if t == nil || len(perms) == 0 {
		return fmt.Errorf("access: tenant and permissions are required: %w", domain.ErrInvalid)
	}
	needProject := slices.ContainsFunc(perms, func(p Permission) bool { return p != Administer })
	if needProject && p.Key == "" {
		return fmt.Errorf("access: project is required for %v: %w", perms, domain.ErrInvalid)
	}
	g, err := c.grantsFor(ctx, t, accountID, p, needProject)
	if err != nil {
		return err
	}
	admin := slices.Contains(g.global, string(Administer))
	for _, perm := range perms {
		switch {
		case perm == Administer && admin:
		case perm == AdministerProjects && admin:
		case perm != Administer && slices.Contains(g.project, string(perm)):
		default:
			d := &DeniedError{Permission: perm}
			if perm != Administer {
				d.Project = p.Key
			}
			return d
		}
	}
	return nil
}

// Rights reports which of the project permissions the account holds, from
// the same cached answer Require uses, so that a page can disable what a
// person may not do before they try. Jira administrators hold Administer
// projects on every project.
func (c *Checker) Rights(ctx context.Context, t *domain.Tenant, accountID string, p Project) (map[Permission]bool, error) {
	if accountID == "" {
		return nil, ErrAnonymous
	}
	if t == nil || p.Key == "" {
		return nil, fmt.Errorf("access: tenant and project are required: %w", domain.ErrInvalid)
	}
	g, err := c.grantsFor(ctx, t, accountID, p, true)
	if err != nil {
		return nil, err
	}
	admin := slices.Contains(g.global, string(Administer))
	out := map[Permission]bool{}
	for _, perm := range projectPermissions {
		out[Permission(perm)] = slices.Contains(g.project, perm)
	}
	out[AdministerProjects] = out[AdministerProjects] || admin
	return out, nil
}

// grantsFor returns the account's grants on the project, cached.
func (c *Checker) grantsFor(ctx context.Context, t *domain.Tenant, accountID string, p Project, withProject bool) (grantSet, error) {
	c.init()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	var client *jira.Client
	getClient := func() (*jira.Client, error) {
		if client != nil {
			return client, nil
		}
		if c.Clients == nil {
			return nil, &UnavailableError{Err: errors.New("no Jira clients configured")}
		}
		cl, err := c.Clients(t)
		if err != nil {
			return nil, &UnavailableError{Err: err}
		}
		client = cl
		return cl, nil
	}
	projectID := ""
	if withProject {
		var err error
		if projectID, err = c.projectID(ctx, t, p, getClient); err != nil {
			return grantSet{}, err
		}
	}
	key := grantKey{tenant: t.ID, account: accountID, projectID: projectID}
	c.mu.Lock()
	if g, ok := c.grants.Get(key, c.Now()); ok {
		c.mu.Unlock()
		return g, nil
	}
	if cl, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
			return cl.g, cl.err
		case <-ctx.Done():
			return grantSet{}, &UnavailableError{Err: ctx.Err()}
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.mu.Unlock()

	askedAt := c.Now()
	cl.g, cl.err = c.ask(ctx, getClient, accountID, projectID, withProject)
	c.mu.Lock()
	delete(c.inflight, key)
	if cl.err == nil {
		// Counted from the question, so no answer is used past the TTL.
		c.grants.Put(key, cl.g, askedAt.Add(c.TTL))
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.g, cl.err
}

// ask makes the one Jira call of a check.
func (c *Checker) ask(ctx context.Context, getClient func() (*jira.Client, error), accountID, projectID string, withProject bool) (grantSet, error) {
	cl, err := getClient()
	if err != nil {
		return grantSet{}, err
	}
	var asked []string
	if withProject {
		asked = projectPermissions
	}
	res, err := cl.CheckPermissions(ctx, accountID, projectID, []string{string(Administer)}, asked)
	if err != nil {
		return grantSet{}, &UnavailableError{Err: err}
	}
	return grantSet{global: res.Global, project: res.Project}, nil
}

// projectID returns the project's numeric id: the given one, else a cached
// or fresh lookup by key. A project Jira does not know is a denial.
func (c *Checker) projectID(ctx context.Context, t *domain.Tenant, p Project, getClient func() (*jira.Client, error)) (string, error) {
	if p.ID != "" {
		return p.ID, nil
	}
	key := idKey{tenant: t.ID, project: strings.ToUpper(p.Key)}
	now := c.Now()
	c.mu.Lock()
	id, ok := c.ids.Get(key, now)
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	cl, err := getClient()
	if err != nil {
		return "", err
	}
	pr, err := cl.GetProject(ctx, p.Key)
	if errors.Is(err, domain.ErrNotFound) {
		return "", &DeniedError{Permission: BrowseProjects, Project: p.Key}
	}
	if err != nil {
		return "", &UnavailableError{Err: err}
	}
	c.mu.Lock()
	c.ids.Put(key, pr.ID, now.Add(c.TTL))
	c.mu.Unlock()
	return pr.ID, nil
}
