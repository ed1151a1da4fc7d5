package jiraemu

import (
	"errors"
	"net/http"
	"strings"

	"github.com/backlogai/backlogai/server/connect"
)

var errNotInstalled = errors.New("app not installed")

// authenticate verifies the app's Connect JWT as Jira does: HS256 with the
// installation's shared secret, iss = the app key (not the clientKey), exp
// with leeway, and a qsh equal to the canonical hash of this request
// (method, path relative to the site base path, query). context-qsh is only
// for the app's own endpoints and is refused here.
func (e *Emulator) authenticate(r *http.Request) error {
	token, err := tokenOf(r)
	if err != nil {
		return errf(http.StatusUnauthorized, "%s", err.Error())
	}
	appKey := e.AppKey()
	secretFor := func(tenant string) (string, error) {
		if tenant != appKey {
			return "", errors.New("unknown issuer")
		}
		e.authMu.RLock()
		defer e.authMu.RUnlock()
		if !e.installed || e.secret == "" {
			return "", errNotInstalled
		}
		return e.secret, nil
	}
	claims, err := connect.ParseHS256(token, secretFor, e.now)
	if err != nil {
		e.log.Debug("jwt rejected", "err", err)
		return errf(http.StatusUnauthorized, "Failed to authenticate: the JWT could not be verified (%s).", reason(err))
	}
	if claims.Issuer != appKey {
		return errf(http.StatusUnauthorized, "Failed to authenticate: iss %q is not the key of an installed app.", claims.Issuer)
	}
	want, err := connect.QSH(r.Method, r.URL.EscapedPath(), r.URL.RawQuery, "")
	if err != nil {
		return errf(http.StatusUnauthorized, "Failed to authenticate: malformed query string.")
	}
	if claims.QSH != want {
		return errf(http.StatusUnauthorized, "Failed to authenticate: the query hash (qsh) does not match the request.")
	}
	return nil
}

func tokenOf(r *http.Request) (string, error) {
	var header string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "JWT") {
			return "", errors.New("Failed to authenticate: only Connect JWT authentication is accepted (Authorization: JWT <token>).")
		}
		header = strings.TrimSpace(tok)
	}
	query := r.URL.Query().Get("jwt")
	switch {
	case header != "" && query != "" && header != query:
		return "", errors.New("Failed to authenticate: two different JWTs in one request.")
	case header != "":
		return header, nil
	case query != "":
		return query, nil
	}
	return "", errors.New("You are not authenticated. Authentication required to perform this operation.")
}

func reason(err error) string {
	switch {
	case errors.Is(err, errNotInstalled):
		return "the app is not installed"
	case strings.Contains(err.Error(), "unknown issuer"):
		return "unknown issuer"
	case strings.Contains(err.Error(), "expired"):
		return "token expired"
	case strings.Contains(err.Error(), "signature"):
		return "bad signature"
	}
	return "invalid token"
}
