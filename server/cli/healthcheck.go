package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// runHealthcheck asks the local app's /readyz (or the path given, e.g.
// /healthz) and fails unless it answers 200: the container healthcheck of
// an image without a shell or curl.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	path := "/readyz"
	if len(args) > 0 {
		path = args[0]
	}
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("healthcheck: path %q must start with /", path)
	}
	port := 8080
	if v := strings.TrimSpace(getenv("PORT")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("PORT: %q is not a port number", v)
		}
		port = n
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+path, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}
