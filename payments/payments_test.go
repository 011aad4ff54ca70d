package payments

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestInvoiceValidate(t *testing.T) {
	ok := Invoice{OrderID: "LDG-2026-000123_a.b~c", Amount: 50400, Method: BRI, Items: []Item{{Name: "JKK", Price: 10000, Quantity: 3}, {Name: "JKM", Price: 6800, Quantity: 3}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(*Invoice){
		"empty order id":   func(i *Invoice) { i.OrderID = "" },
		"51 characters":    func(i *Invoice) { i.OrderID = strings.Repeat("a", 51) },
		"slash":            func(i *Invoice) { i.OrderID = "a/b" },
		"non-ASCII":        func(i *Invoice) { i.OrderID = "pembayaran-ké" },
		"negative amount":  func(i *Invoice) { i.Amount = -1 },
		"unknown method":   func(i *Invoice) { i.Method = "gopay" },
		"items too small":  func(i *Invoice) { i.Items = i.Items[:1] },
		"items too large":  func(i *Invoice) { i.Items = append(i.Items, Item{Name: "x", Price: 1, Quantity: 1}) },
		"item no name":     func(i *Invoice) { i.Items[0].Name = "" },
		"item zero qty":    func(i *Invoice) { i.Items[0].Quantity = 0 },
		"item overflowing": func(i *Invoice) { i.Items = []Item{{Name: "x", Price: math.MaxInt64, Quantity: 2}} },
	}
	for name, f := range tests {
		inv := ok
		inv.Items = append([]Item(nil), ok.Items...)
		f(&inv)
		if inv.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(Methods()) != 5 {
		t.Error("Methods")
	}
	for _, m := range Methods() {
		if !m.Valid() {
			t.Errorf("%s not valid", m)
		}
	}
}

func TestError(t *testing.T) {
	e := &Error{Provider: "midtrans", Op: "status", Kind: Permanent, HTTPStatus: 404, Code: "404", Message: "Transaction doesn't exist.", Err: ErrNotFound}
	if !errors.Is(e, ErrNotFound) || IsTransient(e) {
		t.Error("classification")
	}
	if got, want := e.Error(), "midtrans: status: permanent (HTTP 404): Transaction doesn't exist.: payments: payment unknown to the provider"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !IsTransient(&Error{Kind: Transient}) || IsTransient(errors.New("x")) {
		t.Error("IsTransient")
	}
}

func TestErrNotCancellable(t *testing.T) {
	e := &Error{Provider: "midtrans", Op: "cancel", Kind: Permanent, HTTPStatus: 200, Code: "412", Message: "Merchant cannot modify the status of the transaction", Err: ErrNotCancellable}
	if !errors.Is(e, ErrNotCancellable) || errors.Is(e, ErrNotFound) || IsTransient(e) {
		t.Error("classification")
	}
	if got, want := e.Error(), "midtrans: cancel: permanent (HTTP 200, code 412): Merchant cannot modify the status of the transaction: payments: payment is final at the provider and cannot be cancelled"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for _, s := range []error{ErrForged, ErrNotFound, ErrDuplicate} {
		if errors.Is(ErrNotCancellable, s) {
			t.Errorf("ErrNotCancellable is %v", s)
		}
	}
}
