package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/lib/pq"

	"github.com/lindungi/lindungi/flows"
)

// StoreInbox keeps fetched updates (sealed: a text may hold a NIK) until
// the engine handles them; an update stored already is left as it is.
// One round trip for the batch.
func (d *DB) StoreInbox(ctx context.Context, channel string, evs []flows.Event) error {
	ids := make([]string, 0, len(evs))
	sealed := make([][]byte, 0, len(evs))
	for _, ev := range evs {
		if ev.UpdateID == "" {
			return fmt.Errorf("inbox: an update of %s without an id", channel)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("inbox: encode update %s: %w", ev.UpdateID, err)
		}
		s, err := d.vault.Seal(b)
		if err != nil {
			return fmt.Errorf("inbox: seal update %s: %w", ev.UpdateID, err)
		}
		ids, sealed = append(ids, ev.UpdateID), append(sealed, s)
	}
	if _, err := d.db.ExecContext(ctx, `
		INSERT INTO inbox (channel, update_id, event, received_at)
		SELECT $1, u, e, $4 FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS r(u, e, n) ORDER BY n
		ON CONFLICT DO NOTHING`, channel, pq.StringArray(ids), pq.ByteaArray(sealed), d.now()); err != nil {
		return fmt.Errorf("inbox: store %d updates: %w", len(evs), err)
	}
	return nil
}

// InboxWaiting lists the stored updates of a channel not handled yet, in
// the order they were stored. There is no cut-off by time: the updates are
// handed over before this process stores any, and a process's clock may
// be behind the one that stored them (another machine, a test clock that
// starts again at its instant): a cut-off left those behind, lost.
func (d *DB) InboxWaiting(ctx context.Context, channel string, limit int) ([]flows.Event, error) {
	var rows [][]byte
	if err := d.db.SelectContext(ctx, &rows, `SELECT event FROM inbox WHERE channel = $1 ORDER BY seq LIMIT $2`,
		channel, limit); err != nil {
		return nil, fmt.Errorf("inbox: waiting updates: %w", err)
	}
	out := make([]flows.Event, 0, len(rows))
	for _, r := range rows {
		plain, err := d.vault.Open(r)
		if err != nil {
			return nil, fmt.Errorf("inbox: open an update: %w", err)
		}
		var ev flows.Event
		if err := json.Unmarshal(plain, &ev); err != nil {
			return nil, fmt.Errorf("inbox: decode an update: %w", err)
		}
		out = append(out, ev)
	}
	return out, nil
}
