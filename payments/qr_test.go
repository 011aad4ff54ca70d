package payments

import (
	"fmt"
	"strings"
	"testing"
)

func TestQRCRC(t *testing.T) {
	// The CRC-16/CCITT-FALSE check value (the CRC catalogue's "123456789").
	if got := QRCRC("123456789"); got != 0x29B1 {
		t.Errorf("QRCRC(123456789) = %04X, want 29B1", got)
	}
	if got := QRCRC(""); got != 0xFFFF {
		t.Errorf("QRCRC(\"\") = %04X, want FFFF", got)
	}
}

func TestCheckQRString(t *testing.T) {
	body := "00020101021226280014ID.LINDUNGI.WWW0206SBX00152040000530336054055040058" +
		"02ID5916LINDUNGI SANDBOX6007JAKARTA6304"
	ok := body + fmt.Sprintf("%04X", QRCRC(body))
	if err := CheckQRString(ok); err != nil {
		t.Fatal(err)
	}
	if err := CheckQRString(body + strings.ToLower(fmt.Sprintf("%04X", QRCRC(body)))); err != nil {
		t.Errorf("lower-case CRC: %v", err)
	}
	bad := map[string]string{
		"empty":          "",
		"wrong CRC":      body + fmt.Sprintf("%04X", QRCRC(body)^1),
		"no CRC field":   ok[:len(ok)-8] + "6204" + ok[len(ok)-4:],
		"not hex":        body + "12G4",
		"changed amount": strings.Replace(ok, "540550400", "540510000", 1),
		"no 000201":      "000202" + ok[6:],
		"control byte":   strings.Replace(ok, "JAKARTA", "JAKART\n", 1),
		"too long":       "000201" + strings.Repeat("9", MaxQRString) + "6304" + "0000",
	}
	for name, s := range bad {
		if err := CheckQRString(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMethods(t *testing.T) {
	if fmt.Sprint(Methods()) != "[bri bni mandiri bca permata]" {
		t.Errorf("Methods() = %v: banks only", Methods())
	}
	if fmt.Sprint(StoreMethods()) != "[alfamart indomaret]" {
		t.Errorf("StoreMethods() = %v", StoreMethods())
	}
	kinds := map[Method]string{BCA: "va", BNI: "va", BRI: "va", Mandiri: "va", Permata: "va", Alfamart: "store", Indomaret: "store", QRIS: "qris", "": "", "gopay": "", "BCA": "", "cstore": ""}
	for m, want := range kinds {
		if got := m.Kind(); got != want {
			t.Errorf("%q.Kind() = %q, want %q", m, got, want)
		}
		if m.Valid() != (want != "") {
			t.Errorf("%q.Valid() = %v", m, m.Valid())
		}
	}
	for _, m := range StoreMethods() {
		if (Invoice{OrderID: "LDG-1", Amount: m.Minimum(), Method: m}).Validate() != nil {
			t.Errorf("invoice for %s refused", m)
		}
		if (Invoice{OrderID: "LDG-1", Amount: m.Minimum() - 1, Method: m}).Validate() == nil {
			t.Errorf("invoice for %s under its minimum taken", m)
		}
	}
}
