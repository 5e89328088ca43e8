package sopsvalues

import "errors"

// SOPS splits the data key of a file with several key groups by Shamir secret sharing over
// GF(2^8), the AES field, as HashiCorp Vault does: each share holds, for every byte of the
// secret, the value at x of a random polynomial whose constant term is that byte, followed
// by x itself (1, 2, ...) as its last byte.

// combineShares rebuilds the secret from shares by Lagrange interpolation at x = 0.
func combineShares(shares [][]byte) ([]byte, error) {
	if len(shares) < 2 {
		return nil, errors.New("fewer than two shares")
	}
	n := len(shares[0])
	if n < 2 {
		return nil, errors.New("a share is shorter than two bytes")
	}
	xs := make([]byte, len(shares))
	seen := map[byte]bool{}
	for i, s := range shares {
		if len(s) != n {
			return nil, errors.New("the shares differ in length")
		}
		x := s[n-1]
		if x == 0 || seen[x] {
			return nil, errors.New("two shares have the same x coordinate, or one has x = 0")
		}
		seen[x] = true
		xs[i] = x
	}
	secret := make([]byte, n-1)
	for b := range secret {
		var acc byte
		for i, s := range shares {
			// The Lagrange basis polynomial of share i at 0: the product over j != i of
			// x_j / (x_j - x_i); subtraction is addition (xor) in GF(2^8).
			basis := byte(1)
			for j, xj := range xs {
				if j != i {
					basis = gfMul(basis, gfMul(xj, gfInv(xj^xs[i])))
				}
			}
			acc ^= gfMul(s[b], basis)
		}
		secret[b] = acc
	}
	return secret, nil
}

// gfMul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
func gfMul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		carry := a & 0x80
		a <<= 1
		if carry != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

// gfInv is the multiplicative inverse in GF(2^8): a^254, since a^255 = 1 for a != 0.
func gfInv(a byte) byte {
	r := byte(1)
	for range 254 {
		r = gfMul(r, a)
	}
	return r
}
