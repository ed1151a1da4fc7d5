package jiraemu

// The authorization server of Connect user impersonation (the OAuth 2.0
// JWT-bearer grant, see connect/impersonation.go and
// https://developer.atlassian.com/cloud/jira/platform/user-impersonation-for-connect-apps/),
// served on the emulator's own origin at POST /oauth2/token, and the
// Bearer user tokens it issues, which the REST API accepts beside the
// app's JWT. Writes made with a user token are authored by that user and
// checked against that user's permissions.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/backlogai/backlogai/server/connect"
)

// TokenPattern is the token endpoint as Stats and fault rules name it.
// Fault rules reach it only when they name it ("POST /oauth2/token" or
// "/oauth2/token"): it is another service than the REST API.
const TokenPattern = "POST /oauth2/token"

// UserTokenTTL is the lifetime of the user tokens the emulator issues.
const UserTokenTTL = 15 * time.Minute

// maxUserTokens bounds the issued tokens kept (the oldest go first).
const maxUserTokens = 10000

// Scopes a user token may carry: Connect's scope names.
var connectScopes = []string{"READ", "WRITE", "DELETE", "PROJECT_ADMIN", "ADMIN", "ACT_AS_USER", "ACCESS_EMAIL_ADDRESSES"}

// UserPermissions decides whether the account holds the project permission
// (EDIT_ISSUES, CREATE_ISSUES, LINK_ISSUES, ADD_COMMENTS, DELETE_ISSUES…)
// in the project. It is called with the emulator's store locked and must
// not call back into the emulator.
type UserPermissions func(accountID, projectKey, permission string) bool

type userToken struct {
	account *user
	scopes  []string
	expires time.Time
}

type userTokens struct {
	mu       sync.Mutex
	tokens   map[string]userToken
	order    []string
	policy   UserPermissions
	issued   int
	requests int // REST requests authenticated with a user token
}

// SetUserPermissions replaces the permission rule of writes made with a
// user token; nil restores the default: the permission table of
// permissions.go (UserPermissions).
func (e *Emulator) SetUserPermissions(p UserPermissions) {
	e.users.mu.Lock()
	e.users.policy = p
	e.users.mu.Unlock()
}

// OAuthClientID is the oauthClientId the emulator sends in the install
// payload and expects as the assertion's client id.
func (e *Emulator) OAuthClientID() string {
	return "emu-oauth-" + strings.ReplaceAll(e.opts.ClientKey, "-", "")
}

// AuthServerURL is the emulated authorization server: the origin of the
// site's base URL (the aud of assertions; tokens at /oauth2/token).
func (e *Emulator) AuthServerURL() string {
	u, err := url.Parse(e.BaseURL())
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// UserTokensIssued counts the access tokens the token endpoint issued.
func (e *Emulator) UserTokensIssued() int {
	e.users.mu.Lock()
	defer e.users.mu.Unlock()
	return e.users.issued
}

// UserTokenRequests counts the REST requests authenticated with a user
// token (every other request was made with the app's JWT).
func (e *Emulator) UserTokenRequests() int {
	e.users.mu.Lock()
	defer e.users.mu.Unlock()
	return e.users.requests
}

// oauthError answers as an OAuth 2.0 token endpoint does (RFC 6749 §5.2).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// handleOAuthToken is POST /oauth2/token: the JWT-bearer grant.
func (e *Emulator) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	defer func() { e.count(TokenPattern, rec.status) }()
	if err := e.slowDown(r.Context(), TokenPattern); err != nil {
		return
	}
	if status, retry := e.tokenFault(); status != 0 {
		if retry > 0 {
			rec.Header().Set("Retry-After", strconv.Itoa(retry))
		}
		oauthError(rec, status, "temporarily_unavailable", "Injected fault: "+http.StatusText(status))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		oauthError(rec, http.StatusBadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded.")
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(rec, http.StatusBadRequest, "invalid_request", "The form could not be read.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != connect.GrantTypeJWTBearer {
		oauthError(rec, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be "+connect.GrantTypeJWTBearer+".")
		return
	}
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		oauthError(rec, http.StatusBadRequest, "invalid_request", "assertion is required.")
		return
	}
	scopes := strings.Fields(r.PostForm.Get("scope"))
	for _, s := range scopes {
		if !slices.Contains(connectScopes, s) {
			oauthError(rec, http.StatusBadRequest, "invalid_scope", "Unknown scope "+strconv.Quote(s)+" (scopes are upper case and space separated).")
			return
		}
	}
	if len(scopes) == 0 {
		scopes = []string{"READ"}
	}
	u, status, code, desc := e.verifyAssertion(assertion)
	if u == nil {
		oauthError(rec, status, code, desc)
		return
	}
	tok := e.issueUserToken(u, scopes)
	rec.Header().Set("Cache-Control", "no-store")
	writeJSON(rec, http.StatusOK, map[string]any{
		"access_token": tok, "expires_in": int(UserTokenTTL / time.Second), "token_type": "Bearer",
	})
}

// tokenFault applies the throttle and error rules that name the token
// endpoint: the status to answer (0: none) and Retry-After seconds.
func (e *Emulator) tokenFault() (int, int) {
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	named := func(rule string) bool { return rule != "" && rule != "*" && matches(rule, TokenPattern) }
	for i := range e.faults.Throttle {
		t := &e.faults.Throttle[i]
		if named(t.Endpoint) && e.hit(t.Probability, &t.Count) {
			return http.StatusTooManyRequests, max(t.RetryAfter, 1)
		}
	}
	for i := range e.faults.Errors {
		x := &e.faults.Errors[i]
		if named(x.Endpoint) && e.hit(x.Probability, &x.Count) {
			if x.Status == 0 {
				return http.StatusServiceUnavailable, 0
			}
			return x.Status, 0
		}
	}
	return 0, 0
}

// verifyAssertion checks the assertion as the authorization server does:
// HS256 with the installation's shared secret, iss = the install's client
// id, sub = an account of the site, tnt = the site, aud = this server,
// exp at most 60 s after iat and not passed.
func (e *Emulator) verifyAssertion(assertion string) (u *user, status int, code, desc string) {
	secret := e.SharedSecret()
	if secret == "" {
		return nil, http.StatusUnauthorized, "invalid_client", "The app is not installed."
	}
	e.authMu.RLock()
	scopes := e.app.scopes
	e.authMu.RUnlock()
	if scopes != nil && !slices.ContainsFunc(scopes, func(s string) bool { return strings.EqualFold(s, "ACT_AS_USER") }) {
		return nil, http.StatusForbidden, "unauthorized_client", "The app's descriptor does not request the ACT_AS_USER scope."
	}
	var c connect.AssertionClaims
	_, err := jwt.ParseWithClaims(assertion, &c, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second), jwt.WithTimeFunc(e.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, http.StatusBadRequest, "invalid_grant", "The assertion has expired."
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, http.StatusBadRequest, "invalid_grant", "The assertion's signature does not verify with the installation's shared secret."
	case err != nil:
		return nil, http.StatusBadRequest, "invalid_grant", "The assertion is not a valid HS256 JWT."
	}
	if c.Issuer != connect.ClientIDPrefix+e.OAuthClientID() {
		return nil, http.StatusUnauthorized, "invalid_client", "iss is not urn:atlassian:connect:clientid: followed by the installation's oauthClientId."
	}
	if c.IssuedAt == nil || c.ExpiresAt.Sub(c.IssuedAt.Time) > connect.AssertionTTL {
		return nil, http.StatusBadRequest, "invalid_grant", "exp must be at most 60 seconds after iat."
	}
	if !slices.Contains(c.Audience, e.AuthServerURL()) {
		return nil, http.StatusBadRequest, "invalid_grant", "aud is not this authorization server."
	}
	if strings.TrimSuffix(c.Tenant, "/") != e.BaseURL() {
		return nil, http.StatusBadRequest, "invalid_grant", "tnt is not the base URL of the installation."
	}
	account, ok := strings.CutPrefix(c.Subject, connect.UserAccountIDPrefix)
	if !ok || account == "" {
		return nil, http.StatusBadRequest, "invalid_grant", "sub must be urn:atlassian:connect:useraccountid: followed by an accountId."
	}
	e.mu.RLock()
	u = e.st.user(account)
	e.mu.RUnlock()
	if u == nil || u.AccountType == "app" {
		return nil, http.StatusBadRequest, "invalid_grant", "sub is not a user of this site."
	}
	return u, 0, "", ""
}

func (e *Emulator) issueUserToken(u *user, scopes []string) string {
	var b [24]byte
	rand.Read(b[:])
	tok := "emu-user-" + hex.EncodeToString(b[:])
	t := &e.users
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tokens == nil {
		t.tokens = map[string]userToken{}
	}
	if len(t.order) >= maxUserTokens {
		delete(t.tokens, t.order[0])
		t.order = t.order[1:]
	}
	t.tokens[tok] = userToken{account: u, scopes: scopes, expires: e.now().Add(UserTokenTTL)}
	t.order = append(t.order, tok)
	t.issued++
	return tok
}

// bearerUser resolves a user token; the error is Jira's 401.
func (e *Emulator) bearerUser(tok string) (userToken, error) {
	t := &e.users
	t.mu.Lock()
	ut, ok := t.tokens[tok]
	t.mu.Unlock()
	if !ok {
		return userToken{}, errf(http.StatusUnauthorized, "Failed to authenticate: the access token is not valid.")
	}
	if !e.now().Before(ut.expires) {
		return userToken{}, errf(http.StatusUnauthorized, "Failed to authenticate: the access token has expired.")
	}
	return ut, nil
}

// authenticateCaller verifies the app's JWT or a user's Bearer token and
// returns who acts: the app's user, or the impersonated user with the
// token's scopes.
func (e *Emulator) authenticateCaller(r *http.Request) (*user, []string, error) {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if r.URL.Query().Has("jwt") {
			return nil, nil, errf(http.StatusUnauthorized, "Failed to authenticate: a Bearer token and a JWT in one request.")
		}
		e.authMu.RLock()
		fh := e.forge
		e.authMu.RUnlock()
		if fh != nil {
			if u, ok, err := fh.bearer(strings.TrimSpace(tok)); ok {
				if err != nil {
					return nil, nil, err
				}
				// The manifest's read:jira-work and write:jira-work.
				return u, []string{"READ", "WRITE"}, nil
			}
		}
		ut, err := e.bearerUser(strings.TrimSpace(tok))
		if err != nil {
			return nil, nil, err
		}
		e.users.mu.Lock()
		e.users.requests++
		e.users.mu.Unlock()
		return ut.account, ut.scopes, nil
	}
	if err := e.authenticate(r); err != nil {
		return nil, nil, err
	}
	return e.appUser, nil, nil
}

// actorOf is who makes the request: the impersonated user or the app.
func (e *Emulator) actorOf(r *http.Request) *user {
	if a := stateOf(r).actor; a != nil {
		return a
	}
	return e.appUser
}

// userMay reports whether u holds perm in project p; e.mu held.
func (e *Emulator) userMay(u *user, p *project, perm string) bool {
	if u == nil || u == e.appUser {
		return true
	}
	e.users.mu.Lock()
	policy := e.users.policy
	e.users.mu.Unlock()
	if policy != nil {
		return policy(u.AccountID, p.Key, perm)
	}
	isLead := p.Lead != nil && p.Lead.AccountID == u.AccountID
	return slices.Contains(e.permissionsOf(u.AccountID, p.Key, isLead), perm)
}

// issuePermission is the permission a user-token write to one issue
// needs, by route ("" when the route is not such a write).
func issuePermission(pattern string) string {
	switch pattern {
	case "PUT /rest/api/3/issue/{issueIdOrKey}",
		"PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
		"DELETE /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}":
		return "EDIT_ISSUES"
	case "DELETE /rest/api/3/issue/{issueIdOrKey}":
		return "DELETE_ISSUES"
	case "POST /rest/api/3/issue/{issueIdOrKey}/comment":
		return "ADD_COMMENTS"
	case "POST /rest/api/3/issue/{issueIdOrKey}/transitions":
		return "TRANSITION_ISSUES"
	}
	return ""
}

// authorizeUser applies a user token's scopes and the user's permissions
// to a request: writes need the WRITE scope (DELETE for deletions), and
// writes to an issue the user's permission in its project. Creations and
// links are checked where their projects are known (createOne,
// handleCreateLink).
func (e *Emulator) authorizeUser(r *http.Request, pattern string, write bool, u *user, scopes []string) error {
	if write && pattern != "POST /rest/api/3/permissions/check" {
		need := "WRITE"
		if r.Method == http.MethodDelete && pattern == "DELETE /rest/api/3/issue/{issueIdOrKey}" {
			need = "DELETE"
		}
		if !slices.Contains(scopes, need) && !slices.Contains(scopes, "ADMIN") {
			return errf(http.StatusForbidden, "The access token's scopes do not allow this operation (%s needed).", need)
		}
	}
	if pattern == "POST /rest/api/3/issue/properties/multi" {
		return errf(http.StatusForbidden, "Bulk property updates are not available to impersonated users in the emulator.")
	}
	perm := issuePermission(pattern)
	if perm == "" {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(r.PathValue("issueIdOrKey"))
	if is == nil {
		return nil // the handler answers 404
	}
	if !e.userMay(u, is.Project, perm) {
		return errf(http.StatusForbidden, "You do not have permission to %s this issue.", permVerb(perm))
	}
	return nil
}

func permVerb(perm string) string {
	switch perm {
	case "EDIT_ISSUES":
		return "edit"
	case "DELETE_ISSUES":
		return "delete"
	case "ADD_COMMENTS":
		return "comment on"
	case "TRANSITION_ISSUES":
		return "transition"
	case "LINK_ISSUES":
		return "link"
	case "CREATE_ISSUES":
		return "create issues in the project of"
	}
	return "change"
}

// ChangeAuthors lists the accountIds of the authors of an issue's
// changelog entries, oldest first (nil for an unknown issue).
func (e *Emulator) ChangeAuthors(issueKey string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	is := e.st.issue(issueKey)
	if is == nil {
		return nil
	}
	out := make([]string, 0, len(is.Histories))
	for _, h := range is.Histories {
		if h.Author != nil {
			out = append(out, h.Author.AccountID)
		} else {
			out = append(out, "")
		}
	}
	return out
}

// Reporter is the accountId of an issue's reporter ("" if none or unknown).
func (e *Emulator) Reporter(issueKey string) string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if is := e.st.issue(issueKey); is != nil && is.Reporter != nil {
		return is.Reporter.AccountID
	}
	return ""
}

// AppAccountID is the accountId of the app's own user.
func (e *Emulator) AppAccountID() string { return e.appUser.AccountID }

// RevokeUserTokens invalidates every user token issued so far (as an
// admin revoking the app's access would).
func (e *Emulator) RevokeUserTokens() {
	e.users.mu.Lock()
	e.users.tokens, e.users.order = nil, nil
	e.users.mu.Unlock()
}

// AddUser adds an Atlassian account to the site (no-op if it exists), so
// that tests can act as people the fixtures do not name.
func (e *Emulator) AddUser(accountID, displayName string) {
	e.mu.Lock()
	e.st.addUser(&user{AccountID: accountID, DisplayName: displayName, AccountType: "atlassian", TimeZone: "UTC"})
	e.mu.Unlock()
}
