package main

import (
	"errors"
	"fmt"

	"github.com/lindungi/lindungi/payments"
	"github.com/lindungi/lindungi/payments/midtrans"
	"github.com/lindungi/lindungi/payments/sandbox"
	"github.com/lindungi/lindungi/vault"
)

// newProvider builds the configured payment provider.
func newProvider(cfg config, v *vault.Vault) (payments.Provider, error) {
	switch cfg.PaymentProvider {
	case "sandbox":
		// Every process of a deployment derives the same key from the data key.
		return sandbox.New(sandbox.Options{Secret: v.Hash("sandbox", "notification-key")})
	case "midtrans":
		if cfg.MidtransServerKey == "" {
			return nil, errors.New("LINDUNGI_PAYMENT_PROVIDER=midtrans needs LINDUNGI_MIDTRANS_SERVER_KEY")
		}
		return midtrans.New(midtrans.Options{ServerKey: cfg.MidtransServerKey, BaseURL: cfg.MidtransBaseURL})
	}
	return nil, fmt.Errorf("LINDUNGI_PAYMENT_PROVIDER: %q is not sandbox or midtrans", cfg.PaymentProvider)
}
