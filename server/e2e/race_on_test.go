//go:build race

package e2e_test

// raceEnabled: the race detector slows this process's client code several
// times over, so latency figures measured here mean little.
const raceEnabled = true
