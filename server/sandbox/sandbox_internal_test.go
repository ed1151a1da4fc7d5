package sandbox

import "testing"

func TestAddFrameAncestor(t *testing.T) {
	const shell = "http://127.0.0.1:8080"
	cases := []struct{ in, want string }{
		{"frame-ancestors https://acme.atlassian.net", "frame-ancestors https://acme.atlassian.net http://127.0.0.1:8080"},
		{"frame-ancestors 'none'", "frame-ancestors 'none'"},
		{"frame-ancestors http://127.0.0.1:8080", "frame-ancestors http://127.0.0.1:8080"},
		{"default-src 'self'; frame-ancestors https://a.example", "default-src 'self'; frame-ancestors https://a.example http://127.0.0.1:8080"},
		{"default-src 'self'", "default-src 'self'"},
	}
	for _, tc := range cases {
		if got := addFrameAncestor(tc.in, shell); got != tc.want {
			t.Errorf("addFrameAncestor(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoopbackRemote(t *testing.T) {
	cases := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:1234", true},
		{"127.10.0.1:1", true},
		{"[::1]:1234", true},
		{"[::ffff:127.0.0.1]:1234", true},
		{"192.168.0.2:1234", false},
		{"[2001:db8::1]:1", false},
		{"", false},
		{"localhost:80", false}, // a name is not a peer address
	}
	for _, tc := range cases {
		if got := loopbackRemote(tc.addr); got != tc.want {
			t.Errorf("loopbackRemote(%q) = %v, want %v", tc.addr, got, tc.want)
		}
	}
}
