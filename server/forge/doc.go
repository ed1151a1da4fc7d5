// Package forge is the Forge host adapter: it verifies Forge Invocation
// Tokens (FIT) sent by Forge Remote, reads the invocation context, and
// yields the same connect.Identity the web handlers use for Connect, so
// nothing above the adapter knows which host a tenant came from.
package forge
