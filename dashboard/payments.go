package dashboard

import "net/http"

// PaymentStore is what the Pembayaran and Ekspor pages read and write.
type PaymentStore interface{}

// paymentRoutes serves the Pembayaran and Ekspor pages.
func (s *server) paymentRoutes(mux *http.ServeMux) {}
