// Package connect implements the Atlassian Connect security contract: the
// query string hash (qsh), HS256 tokens for requests to and from Jira, and
// RS256 signed-install verification. See ../shared/docs/connect.md.
package connect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// ContextQSH is the fixed qsh Jira puts in tokens obtained by
// AP.context.getToken(); only the app's own API endpoints accept it.
const ContextQSH = "context-qsh"

// CanonicalRequest returns "METHOD&canonicalURI&canonicalQuery" for a request
// path (escaped, as it arrived) and raw query. prefix is the path of the
// app's (or product's) base URL, removed from the front of the path.
func CanonicalRequest(method, escapedPath, rawQuery, prefix string) (string, error) {
	q, err := canonicalQuery(rawQuery)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(method) + "&" + canonicalURI(escapedPath, prefix) + "&" + q, nil
}

// QSH hashes the canonical request: lowercase hex SHA-256.
func QSH(method, escapedPath, rawQuery, prefix string) (string, error) {
	c, err := CanonicalRequest(method, escapedPath, rawQuery, prefix)
	if err != nil {
		return "", err
	}
	return HashCanonical(c), nil
}

// QSHForURL is QSH for a full URL.
func QSHForURL(method string, u *url.URL, prefix string) (string, error) {
	return QSH(method, u.EscapedPath(), u.RawQuery, prefix)
}

// HashCanonical hashes an already canonical request string.
func HashCanonical(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:])
}

func canonicalURI(path, prefix string) string {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" && (path == prefix || strings.HasPrefix(path, prefix+"/")) {
		path = path[len(prefix):]
	}
	if path == "" {
		path = "/"
	}
	if len(path) > 1 && strings.HasSuffix(path, "/") {
		path = path[:len(path)-1]
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return strings.ReplaceAll(path, "&", "%26")
}

func canonicalQuery(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	params := map[string][]string{}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		n, err := url.QueryUnescape(name)
		if err != nil {
			return "", fmt.Errorf("qsh: query name %q: %w", name, err)
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return "", fmt.Errorf("qsh: query value of %q: %w", n, err)
		}
		if n == "jwt" {
			continue
		}
		params[n] = append(params[n], v)
	}
	type pair struct{ name, value string }
	pairs := make([]pair, 0, len(params))
	for n, vs := range params {
		// Jira sorts the raw values (as Java strings: UTF-16 code units),
		// then encodes them.
		sort.Slice(vs, func(i, j int) bool { return lessUTF16(vs[i], vs[j]) })
		enc := make([]string, len(vs))
		for i, v := range vs {
			enc[i] = Encode(v)
		}
		pairs = append(pairs, pair{Encode(n), strings.Join(enc, ",")})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].name < pairs[j].name })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String(), nil
}

// lessUTF16 orders strings as Java's String.compareTo and JavaScript's
// sort do, by UTF-16 code units. It differs from byte order only where a
// character above U+FFFF meets one in U+E000..U+FFFF: as a surrogate pair
// the former sorts first.
func lessUTF16(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return utf16Order(ra) < utf16Order(rb)
		}
		if a[:na] != b[:nb] { // two different invalid sequences
			return a[:na] < b[:nb]
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) < len(b)
}

// utf16Order maps a rune to a key that sorts like its UTF-16 encoding.
func utf16Order(r rune) rune {
	if r >= 0xE000 && r <= 0xFFFF {
		return r + 0x200000 // above every surrogate pair
	}
	return r
}

// Encode percent-encodes everything but RFC 3986 unreserved characters,
// with uppercase hex over UTF-8 bytes (space is %20, * is %2A).
func Encode(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}
