package bot

import "context"

// Photos draws the image a reply names in Reply.Photo ("card:LD2611-7K3M9Q"),
// when a channel delivers it: images are not kept in the outbox.
type Photos interface {
	Photo(ctx context.Context, name string) ([]byte, error)
}
