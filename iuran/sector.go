package iuran

// transportOccupations are the occupations (the chat's and the import's
// codes) of the transport sector PP 50/2025 names: drivers, app-based or
// not, and couriers (SOURCES.md).
var transportOccupations = map[string]bool{"ojek": true, "sopir": true, "kurir": true}

// OccupationSector is the discount sector of an occupation code:
// SectorTransport for ojek, sopir and kurir, SectorOther for the rest.
func OccupationSector(occupation string) string {
	if transportOccupations[occupation] {
		return SectorTransport
	}
	return SectorOther
}
