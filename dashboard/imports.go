package dashboard

import "net/http"

// Importer runs the imports of uploaded sponsor lists.
type Importer interface{}

// ImportStore is what the Impor pages read and write.
type ImportStore interface{}

func (s *server) importRoutes(mux *http.ServeMux) {}
