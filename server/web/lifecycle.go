package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/backlogai/backlogai/server/connect"
	"github.com/backlogai/backlogai/server/domain"
)

// readLifecycle decodes a lifecycle callback body strictly.
func readLifecycle(c echo.Context) (*connect.LifecyclePayload, error) {
	p, err := connect.ParseLifecycle(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, &APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: "invalid lifecycle payload", Err: err}
	}
	return p, nil
}

// installed handles a (re-)install. Only a signed-install RS256 token is
// accepted: an unsigned install could plant a secret for any clientKey.
func (s *Server) installed(c echo.Context) error {
	p, err := readLifecycle(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.Install.CheckSiteURLs(p.BaseURL, p.DisplayURL); err != nil {
		if errors.Is(err, domain.ErrInvalid) {
			return &APIError{Status: http.StatusBadRequest, Code: "bad_request", Message: strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()), Err: err}
		}
		return err
	}
	claims, err := s.Install.Verify(ctx, c.Request(), p.ClientKey, p.BaseURL)
	if err != nil {
		return err
	}
	hash, iat, err := connect.InstallTokenID(c.Request(), claims)
	if err != nil {
		return err
	}
	if p.SharedSecret == "" {
		return BadRequest("sharedSecret is required on install")
	}
	if p.Key != s.Config.AppKey {
		return BadRequest("the payload is for another app key")
	}
	// A signed-install token is accepted once, and never after a newer
	// one: a replayed token must not plant another secret.
	t, err := s.Store.SaveSignedInstallation(ctx, &domain.Tenant{
		ClientKey: p.ClientKey, BaseURL: p.BaseURL, DisplayURL: p.DisplayURL, ProductType: p.ProductType,
		Description: p.Description, OAuthClientID: p.OAuthClientID, InstallationID: p.InstallationID,
		SharedSecret: p.SharedSecret,
	}, domain.InstallToken{Hash: hash, IssuedAt: iat})
	if errors.Is(err, domain.ErrInstallReplay) {
		return errInstallReplay(err)
	}
	if err != nil {
		return fmt.Errorf("web: installed: %w", err)
	}
	s.log(c).Info("tenant installed", "tenant_id", t.ID, "base_url", t.BaseURL)
	return c.NoContent(http.StatusNoContent)
}

func errInstallReplay(err error) error {
	return &APIError{Status: http.StatusUnauthorized, Code: "install_replayed",
		Message: "This signed lifecycle token was already used, or is older than the last one accepted for this site.", Err: err}
}

// uninstalled stops the tenant at once and schedules the purge of its data.
func (s *Server) uninstalled(c echo.Context) error {
	p, err := readLifecycle(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	claims, err := s.Install.Verify(ctx, c.Request(), p.ClientKey, p.BaseURL)
	if err != nil {
		return err
	}
	// A replayed uninstall token must not stop a tenant re-installed since.
	hash, iat, err := connect.InstallTokenID(c.Request(), claims)
	if err != nil {
		return err
	}
	if err := s.Store.ClaimInstallToken(ctx, p.ClientKey, domain.InstallToken{Hash: hash, IssuedAt: iat}); err != nil {
		if errors.Is(err, domain.ErrInstallReplay) {
			return errInstallReplay(err)
		}
		return fmt.Errorf("web: uninstalled: %w", err)
	}
	retention := time.Duration(s.Config.DataRetentionDays) * 24 * time.Hour
	if err := s.Store.MarkUninstalled(ctx, p.ClientKey, retention); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			// Never installed here: nothing to stop. Idempotent success.
			return c.NoContent(http.StatusNoContent)
		}
		return fmt.Errorf("web: uninstalled: %w", err)
	}
	t, err := s.Store.TenantByClientKey(ctx, p.ClientKey)
	if err != nil {
		// Marked uninstalled all the same: its jobs find that out and stop.
		s.log(c).Error("tenant uninstalled, but not read back to stop its work", "err", err)
		return c.NoContent(http.StatusNoContent)
	}
	if s.Hooks.OnUninstalled != nil {
		s.Hooks.OnUninstalled(ctx, t)
	}
	s.log(c).Info("tenant uninstalled", "tenant_id", t.ID, "purge_after", t.PurgeAfter)
	return c.NoContent(http.StatusNoContent)
}

// lifecycleToggle handles enabled/disabled (HS256 with the tenant secret).
// A late disabled after uninstall may come with no valid JWT: it is answered
// 204 and changes nothing.
func (s *Server) lifecycleToggle(enabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := readLifecycle(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		id, err := s.LifecycleAuth.Authenticate(ctx, c.Request(), connect.QSHCanonical)
		if err != nil {
			if !enabled && errors.Is(err, domain.ErrUnauthorized) {
				if t, lerr := s.Store.TenantByClientKey(ctx, p.ClientKey); errors.Is(lerr, domain.ErrNotFound) || (lerr == nil && t.State == domain.TenantUninstalled) {
					s.log(c).Info("late disabled after uninstall ignored")
					return c.NoContent(http.StatusNoContent)
				}
			}
			return err
		}
		if id.Tenant.ClientKey != p.ClientKey {
			return &APIError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "Authentication failed.", Err: errors.New("body clientKey differs from token tenant")}
		}
		if err := s.Store.SetTenantEnabled(ctx, id.Tenant.ClientKey, enabled); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("web: lifecycle toggle: %w", err)
		}
		c.Set(ctxIdentity, id)
		s.log(c).Info("tenant state changed", "enabled", enabled)
		return c.NoContent(http.StatusNoContent)
	}
}

// descriptor serves atlassian-connect.json with baseUrl and key from
// configuration.
func (s *Server) descriptor(c echo.Context) error {
	// Explicit, so that HEAD (whose body net/http drops) says the same.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(s.descriptorJSON)))
	return c.JSONBlob(http.StatusOK, s.descriptorJSON)
}

// RenderDescriptor fills the template's baseUrl and key.
func RenderDescriptor(template []byte, baseURL, key string) ([]byte, error) {
	var d map[string]any
	if err := json.Unmarshal(template, &d); err != nil {
		return nil, fmt.Errorf("web: descriptor template: %w", err)
	}
	d["baseUrl"] = baseURL
	d["key"] = key
	return json.MarshalIndent(d, "", "  ")
}
