package payments

import (
	"errors"
	"fmt"
)

// QRCRC is the checksum an EMVCo merchant-presented QR payload (QRIS) ends
// with: CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no
// reflection, no final XOR) of the payload up to and including the "6304"
// that opens the CRC field. It is written as 4 upper-case hex digits.
func QRCRC(data string) uint16 {
	crc := uint16(0xFFFF)
	for i := 0; i < len(data); i++ {
		crc ^= uint16(data[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// MaxQRString is the longest QR payload accepted (EMVCo allows 512 characters).
const MaxQRString = 512

// CheckQRString checks that s looks like an EMVCo merchant-presented QR
// payload that a payer's app will accept: printable ASCII, at most
// MaxQRString characters, starting with the payload format indicator
// "000201" and ending with a "6304" CRC field whose value (hex, either case)
// is QRCRC of what precedes it. It does not parse the fields in between.
func CheckQRString(s string) error {
	if len(s) > MaxQRString {
		return fmt.Errorf("payments: QR string of %d characters, more than %d", len(s), MaxQRString)
	}
	if len(s) < len("000201")+len("6304")+4 || s[:6] != "000201" {
		return errors.New("payments: QR string does not start with the payload format indicator 000201")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("payments: QR string has the byte %#x at %d", s[i], i)
		}
	}
	tail := s[len(s)-8:]
	if tail[:4] != "6304" {
		return errors.New("payments: QR string does not end with a 6304 CRC field")
	}
	var got uint16
	for i := 4; i < 8; i++ {
		c := tail[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		default:
			return fmt.Errorf("payments: QR string CRC %q is not hex", tail[4:])
		}
		got = got<<4 | uint16(v)
	}
	if want := QRCRC(s[:len(s)-4]); got != want {
		return fmt.Errorf("payments: QR string CRC %s, want %04X", tail[4:], want)
	}
	return nil
}
