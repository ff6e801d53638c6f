// Package sha512crypt implements the SHA-512 based crypt(3) scheme ("$6$",
// Ulrich Drepper's SHA-crypt specification), the password hash format that
// cloud-init's users[].passwd and Linux shadow files accept.
package sha512crypt

import (
	"crypto/sha512"
	"errors"
	"strconv"
	"strings"
)

// DefaultRounds is the spec's default; hashes with it omit "rounds=".
const DefaultRounds = 5000

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// SaltAlphabet lists the characters a salt may contain.
const SaltAlphabet = itoa64

// Hash returns the "$6$" hash of password with salt (at most 16 characters
// from SaltAlphabet are used) and rounds (DefaultRounds when 0).
func Hash(password, salt string, rounds int) (string, error) {
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if rounds < 1000 || rounds > 999999999 {
		return "", errors.New("sha512crypt: rounds must be between 1000 and 999999999")
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	for _, c := range salt {
		if !strings.ContainsRune(SaltAlphabet, c) {
			return "", errors.New("sha512crypt: salt has a character outside [./0-9A-Za-z]")
		}
	}
	pw, s := []byte(password), []byte(salt)

	// Digest B: password, salt, password.
	hb := sha512.New()
	hb.Write(pw)
	hb.Write(s)
	hb.Write(pw)
	b := hb.Sum(nil)

	// Digest A.
	ha := sha512.New()
	ha.Write(pw)
	ha.Write(s)
	for n := len(pw); n > 0; n -= 64 {
		ha.Write(b[:min(n, 64)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			ha.Write(b)
		} else {
			ha.Write(pw)
		}
	}
	a := ha.Sum(nil)

	// P: a digest of the password repeated, stretched to its length.
	hp := sha512.New()
	for range pw {
		hp.Write(pw)
	}
	dp := hp.Sum(nil)
	p := stretch(dp, len(pw))

	// S: a digest of the salt repeated 16+A[0] times, stretched likewise.
	hs := sha512.New()
	for i := 0; i < 16+int(a[0]); i++ {
		hs.Write(s)
	}
	ds := hs.Sum(nil)
	sb := stretch(ds, len(s))

	c := a
	for i := 0; i < rounds; i++ {
		h := sha512.New()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sb)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(nil)
	}

	var out strings.Builder
	out.WriteString("$6$")
	if rounds != DefaultRounds {
		out.WriteString("rounds=" + strconv.Itoa(rounds) + "$")
	}
	out.WriteString(salt)
	out.WriteByte('$')
	for _, g := range [][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
		{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41},
	} {
		encode(&out, uint(c[g[0]])<<16|uint(c[g[1]])<<8|uint(c[g[2]]), 4)
	}
	encode(&out, uint(c[63]), 2)
	return out.String(), nil
}

func stretch(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out)+64 <= n {
		out = append(out, d...)
	}
	return append(out, d[:n-len(out)]...)
}

func encode(out *strings.Builder, v uint, n int) {
	for ; n > 0; n-- {
		out.WriteByte(itoa64[v&0x3f])
		v >>= 6
	}
}
