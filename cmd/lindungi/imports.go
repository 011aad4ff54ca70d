package main

import (
	"context"
	"time"

	"github.com/lindungi/lindungi/flows"
	"github.com/lindungi/lindungi/store"
)

// resumeEvery is how often serve looks for imports left running by a
// process that died (its lease went with it).
const resumeEvery = time.Minute

// startImports builds the dashboard's imports of uploaded sponsor lists and
// resumes, at once and then every minute, those a crash or a restart left
// running: running one again is safe (the same file is the same batch, and
// the rows stored before are found, not stored twice). The resuming lasts
// as long as serve; one stopped halfway is resumed by the next start.
func startImports(ctx context.Context, db *store.DB, engine *flows.Engine) *flows.SponsorImports {
	im := engine.SponsorImports(db)
	go im.KeepResuming(ctx, resumeEvery)
	return im
}
