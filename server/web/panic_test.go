package web_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	backlogai "github.com/backlogai/backlogai"
	"github.com/backlogai/backlogai/server/config"
	"github.com/backlogai/backlogai/server/store/storetest"
	"github.com/backlogai/backlogai/server/web"
)

// TestPanicLoggedWithStack: a handler panic answers 500 and the log holds
// the panic value and the stack down to the handler.
func TestPanicLoggedWithStack(t *testing.T) {
	var logs bytes.Buffer
	srv, err := web.New(web.Deps{
		Config:     &config.Config{BaseURL: appBase, AppKey: appKey},
		Store:      storetest.Open(t, "sqlite", nil),
		Descriptor: backlogai.DescriptorTemplate,
		Logger:     slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Echo().GET("/boom", panickingHandler)
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", w.Code)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"panic serving request"`, `"panic":"nil map write"`, "goroutine ", "panickingHandler", `"route":"/boom"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(w.Body.String(), "panickingHandler") {
		t.Errorf("stack leaked to the client: %s", w.Body.String())
	}
}

func panickingHandler(echo.Context) error { panic("nil map write") }
