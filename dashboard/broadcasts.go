package dashboard

import "net/http"

// BroadcastStore is what the Siaran pages read and write.
type BroadcastStore interface{}

func (s *server) broadcastRoutes(mux *http.ServeMux) {}
