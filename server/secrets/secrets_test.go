package secrets

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTripAndBinding(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := b.Seal("top-secret", "tenant:a")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "top-secret") {
		t.Fatal("plaintext visible in ciphertext")
	}
	if got, err := b.Open(s, "tenant:a"); err != nil || got != "top-secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := b.Open(s, "tenant:b"); err == nil {
		t.Error("ciphertext opened under another row's aad")
	}
	s2, _ := b.Seal("top-secret", "tenant:a")
	if s2 == s {
		t.Error("nonce reused: equal ciphertexts")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(s, "tenant:a"); err == nil {
		t.Error("opened with the wrong key")
	}
	if _, err := b.Open("v1:!!", "tenant:a"); err == nil {
		t.Error("corrupt input accepted")
	}
	if e, _ := b.Seal("", "x"); e != "" {
		t.Error("empty secret should stay empty")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, _ := New(oldKey)
	sealed, _ := old.Seal("shared-secret", "tenant:a")
	rotating, err := New(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotating.Open(sealed, "tenant:a"); err != nil || got != "shared-secret" {
		t.Fatalf("previous key not used to open: %q %v", got, err)
	}
	resealed, err := rotating.Reseal(sealed, "tenant:a")
	if err != nil {
		t.Fatal(err)
	}
	onlyNew, _ := New(newKey)
	if got, err := onlyNew.Open(resealed, "tenant:a"); err != nil || got != "shared-secret" {
		t.Fatalf("resealed secret not readable with the new key alone: %v", err)
	}
	if _, err := onlyNew.Open(sealed, "tenant:a"); err == nil {
		t.Error("old ciphertext opened without the previous key")
	}
	if _, err := New(newKey, []byte("short")); err == nil {
		t.Error("short previous key accepted")
	}
}
