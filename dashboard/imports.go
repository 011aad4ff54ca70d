package dashboard

import "net/http"

// ImportStore is what the Impor pages read and write.
type ImportStore interface{}

func (s *server) importRoutes(mux *http.ServeMux) {}
