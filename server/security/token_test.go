package security

import (
	"errors"
	"testing"
	"time"
)

func TestSignedValuesVerifyOnlyUnchangedUnexpiredAndOfTheirKind(t *testing.T) {
	k := Key{ID: 7, Secret: []byte("0123456789abcdef0123456789abcdef")}
	keys := func(id uint32) ([]byte, bool) {
		if id == k.ID {
			return k.Secret, true
		}
		return nil, false
	}
	now := time.Now()
	signed := Sign(k, KindToken, now.Add(time.Minute), "User:alice", "")
	exp, fields, err := Verify(signed, KindToken, keys, now)
	if err != nil || len(fields) != 2 || fields[0] != "User:alice" || fields[1] != "" || exp.UnixMilli() != now.Add(time.Minute).UnixMilli() {
		t.Fatalf("Verify = %v %q %v", exp, fields, err)
	}
	tok, err := DecodeToken(EncodeToken(signed))
	if err != nil || string(tok) != string(signed) {
		t.Fatalf("token text does not round-trip: %v", err)
	}
	for i := range signed {
		changed := append([]byte(nil), signed...)
		changed[i] ^= 0x20
		if _, _, err := Verify(changed, KindToken, keys, now); err == nil {
			t.Fatalf("a value changed at byte %d verifies", i)
		}
	}
	if _, _, err := Verify(signed, KindSession, keys, now); err == nil {
		t.Fatal("a token verifies as a session")
	}
	if _, _, err := Verify(signed, KindToken, keys, now.Add(time.Minute)); !errors.Is(err, ErrExpired) {
		t.Fatalf("at its expiry: %v, want ErrExpired", err)
	}
	other := Sign(Key{ID: 8, Secret: k.Secret}, KindToken, now.Add(time.Minute), "User:alice")
	if _, _, err := Verify(other, KindToken, keys, now); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("an unknown key id: %v, want ErrUnknownKey", err)
	}
	forged := Sign(Key{ID: 7, Secret: []byte("another cluster's key")}, KindToken, now.Add(time.Minute), "User:alice")
	if _, _, err := Verify(forged, KindToken, keys, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another key: %v, want ErrBadSignature", err)
	}
	for _, s := range []string{"", "sl1.", "sl1.!!", "Bearer x", EncodeToken(signed[:10])} {
		raw, err := DecodeToken(s)
		if err == nil {
			_, _, err = Verify(raw, KindToken, keys, now)
		}
		if err == nil {
			t.Fatalf("%q verifies", s)
		}
	}
}
