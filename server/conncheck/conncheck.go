// Package conncheck makes one real call to a configured LLM or research
// endpoint and says exactly what went wrong, in words an admin can act
// on: the host name does not resolve, nothing listens, the certificate is
// not trusted, the key is refused, the model is unknown, no answer in
// time. Settings' "Test connection" uses it.
package conncheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/backlogai/backlogai/server/netguard"
)

// Kinds of outcome.
const (
	KindOK           = "ok"
	KindDNS          = "dns"
	KindRefused      = "refused"
	KindTLS          = "tls"
	KindTimeout      = "timeout"
	KindBlocked      = "blocked"
	KindAuth         = "auth"
	KindUnknownModel = "unknown_model"
	KindNotFound     = "not_found"
	KindRateLimited  = "rate_limited"
	KindServer       = "server_error"
	KindBadAnswer    = "bad_answer"
	KindNetwork      = "network"
	KindNone         = "none"
)

// DefaultTimeout bounds one check.
const DefaultTimeout = 10 * time.Second

// Result is the outcome of one check.
type Result struct {
	OK      bool   `json:"ok"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Status is the HTTP status when the server answered.
	Status    int   `json:"status,omitempty"`
	LatencyMS int64 `json:"latencyMs"`
}

// LLM asks an OpenAI-compatible chat-completions endpoint for a one-word
// answer with model. An empty key sends no Authorization header.
func LLM(ctx context.Context, hc *http.Client, baseURL, key, model string, timeout time.Duration) Result {
	endpoint := strings.TrimSuffix(baseURL, "/") + "/chat/completions"
	body := map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": "Reply with OK."}}}
	if reasoning(model) {
		body["max_completion_tokens"] = 16
	} else {
		body["max_tokens"] = 5
	}
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(raw))
	if err != nil {
		return Result{Kind: KindNetwork, Message: "The base URL is not a valid URL."}
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, status, answer := do(ctx, hc, req, timeout)
	if status == 0 {
		return res
	}
	var ok struct {
		Choices []json.RawMessage `json:"choices"`
	}
	switch {
	case status == http.StatusOK:
		if json.Unmarshal(answer, &ok) != nil || len(ok.Choices) == 0 {
			return res.with(KindBadAnswer, fmt.Sprintf("%s answered, but not as an OpenAI-compatible server (no choices in the answer). Check the base URL.", endpoint))
		}
		return res.with(KindOK, fmt.Sprintf("Connected: model %s answered in %d ms.", model, res.LatencyMS))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		if key == "" {
			return res.with(KindAuth, fmt.Sprintf("The server requires an API key (HTTP %d): enter one.", status))
		}
		return res.with(KindAuth, fmt.Sprintf("The server refused the API key (HTTP %d): %s", status, errText(answer, "check the key")))
	case modelProblem(status, answer):
		return res.with(KindUnknownModel, fmt.Sprintf("The server does not know the model '%s' (HTTP %d): %s", model, status, errText(answer, "check the model name")))
	case status == http.StatusNotFound:
		return res.with(KindNotFound, fmt.Sprintf("Nothing answers at %s (HTTP 404): check the base URL (it usually ends in /v1).", endpoint))
	}
	return res.httpError(status, answer)
}

// SerpAPI reads the key's account (GET /account.json, which SerpAPI does
// not count as a search).
func SerpAPI(ctx context.Context, hc *http.Client, baseURL, key string, timeout time.Duration) Result {
	if key == "" {
		return Result{Kind: KindAuth, Message: "No SerpAPI key is set: enter one."}
	}
	endpoint := strings.TrimSuffix(baseURL, "/") + "/account.json"
	req, err := http.NewRequest(http.MethodGet, endpoint+"?"+url.Values{"api_key": {key}}.Encode(), nil)
	if err != nil {
		return Result{Kind: KindNetwork, Message: "The SerpAPI URL is not a valid URL."}
	}
	res, status, answer := do(ctx, hc, req, timeout)
	switch {
	case status == 0:
		return res
	case status == http.StatusOK:
		return res.with(KindOK, fmt.Sprintf("Connected: SerpAPI accepted the key (%d ms).", res.LatencyMS))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return res.with(KindAuth, fmt.Sprintf("SerpAPI refused the key (HTTP %d): %s", status, errText(answer, "check the key")))
	case status == http.StatusNotFound:
		return res.with(KindNotFound, fmt.Sprintf("Nothing answers at %s (HTTP 404).", endpoint))
	}
	return res.httpError(status, answer)
}

func (r Result) with(kind, msg string) Result {
	r.Kind, r.Message, r.OK = kind, msg, kind == KindOK
	return r
}

func (r Result) httpError(status int, answer []byte) Result {
	switch {
	case status == http.StatusTooManyRequests:
		return r.with(KindRateLimited, fmt.Sprintf("The server is rate limiting or the account has no credit (HTTP 429): %s", errText(answer, "try again later")))
	case status >= 500:
		return r.with(KindServer, fmt.Sprintf("The server failed (HTTP %d): %s", status, errText(answer, "try again later")))
	}
	return r.with(KindBadAnswer, fmt.Sprintf("The server refused the request (HTTP %d): %s", status, errText(answer, "check the settings")))
}

// do sends req within timeout; status 0 means no HTTP answer, and the
// Result says why.
func do(ctx context.Context, hc *http.Client, req *http.Request, timeout time.Duration) (Result, int, []byte) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	resp, err := hc.Do(req.WithContext(ctx))
	res := Result{}
	if err != nil {
		res.LatencyMS = time.Since(start).Milliseconds()
		res.Kind, res.Message = Describe(err, req.URL, timeout)
		return res, 0, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	res.LatencyMS = time.Since(start).Milliseconds()
	res.Status = resp.StatusCode
	if err != nil {
		res.Kind, res.Message = Describe(err, req.URL, timeout)
		return res, 0, nil
	}
	return res, resp.StatusCode, body
}

// Describe names a transport failure: its kind and a message. u may be
// nil (the error's own address is used, else "the server"); timeout 0
// leaves the limit out of the message.
func Describe(err error, u *url.URL, timeout time.Duration) (string, string) {
	if u == nil {
		u = &url.URL{Host: "the server"}
		var op *net.OpError
		if errors.As(err, &op) && op.Addr != nil {
			u.Host = op.Addr.String()
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			u.Host = dnsErr.Name
		}
	}
	host := u.Hostname()
	var dnsErr *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, netguard.ErrBlocked):
		return KindBlocked, fmt.Sprintf("%s is a private, local or plain-http address, which this server does not call.", host)
	case errors.As(err, &dnsErr):
		return KindDNS, fmt.Sprintf("The host name '%s' could not be resolved (DNS): check the spelling of the URL.", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused, fmt.Sprintf("Connection refused by %s: nothing listens on that port. Check the URL and that the server is running.", u.Host)
	case errors.As(err, &hostErr):
		return KindTLS, fmt.Sprintf("TLS failed: the certificate of %s is for another host name (%s).", host, hostErr.Error())
	case errors.As(err, &unknownCA), errors.As(err, &verify) && errors.As(verify.Err, &unknownCA):
		return KindTLS, fmt.Sprintf("TLS failed: the certificate of %s is not signed by a trusted authority (self-signed or a private CA).", host)
	case errors.As(err, &invalid), errors.As(err, &verify):
		return KindTLS, fmt.Sprintf("TLS failed: the certificate of %s is not valid (%s).", host, err.Error())
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return KindTLS, fmt.Sprintf("TLS failed: %s does not speak HTTPS on that port (try http:// or another port).", u.Host)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		if timeout <= 0 {
			return KindTimeout, fmt.Sprintf("%s did not answer in time.", u.Host)
		}
		return KindTimeout, fmt.Sprintf("%s did not answer within %s.", u.Host, timeout)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindNetwork, fmt.Sprintf("%s closed the connection without an answer.", u.Host)
	}
	return KindNetwork, fmt.Sprintf("Could not reach %s: %s.", u.Host, err.Error())
}

// modelProblem: the answer says the model does not exist (OpenAI: 404
// model_not_found; other servers: a 400 or 404 whose message names the
// model as missing).
func modelProblem(status int, body []byte) bool {
	if status != http.StatusNotFound && status != http.StatusBadRequest {
		return false
	}
	var e struct {
		Error struct {
			Code any `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && fmt.Sprint(e.Error.Code) == "model_not_found" {
		return true
	}
	msg := strings.ToLower(errMessage(body))
	return strings.Contains(msg, "model") && (strings.Contains(msg, "not exist") || strings.Contains(msg, "not found") ||
		strings.Contains(msg, "unknown") || strings.Contains(msg, "does not have access"))
}

// errMessage is the server's error message: OpenAI's
// {"error":{"message"}}, or {"error": "..."} (SerpAPI, some local
// servers); "" when there is none.
func errMessage(body []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Error) == 0 {
		return ""
	}
	var s string
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(e.Error, &s) == nil {
		return strings.Join(strings.Fields(s), " ")
	}
	if json.Unmarshal(e.Error, &o) == nil {
		return strings.Join(strings.Fields(o.Message), " ")
	}
	return ""
}

// errText is errMessage quoted and shortened, else fallback.
func errText(body []byte, fallback string) string {
	msg := errMessage(body)
	if msg == "" {
		return fallback + "."
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return "\u201c" + strings.TrimSuffix(msg, ".") + ".\u201d"
}

func reasoning(m string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}
