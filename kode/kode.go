// Package kode makes the random codes people read and type: registration
// references, claim codes, the random part of order ids.
package kode

import "crypto/rand"

// Alphabet is digits and capitals without the letters that read like
// digits or like each other (I, L, O, U).
const Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// New is n random characters of Alphabet.
func New(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (it crashes the program instead)
	for i := range b {
		b[i] = Alphabet[int(b[i])%len(Alphabet)]
	}
	return string(b)
}
