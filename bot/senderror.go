package bot

import (
	"errors"
	"fmt"
	"time"
)

// Failure says what a failed delivery means for the outbox.
type Failure int

// Kinds of delivery failure.
const (
	Retryable   Failure = iota + 1 // network error, 5xx: try again later with backoff
	Throttled                      // 429: pause the whole channel for RetryAfter
	Unreachable                    // 403 blocked / deactivated: stop sending to this chat
	Permanent                      // 400 and the like: this reply can never be sent; drop it
)

func (f Failure) String() string {
	switch f {
	case Retryable:
		return "retryable"
	case Throttled:
		return "throttled"
	case Unreachable:
		return "unreachable"
	case Permanent:
		return "permanent"
	}
	return fmt.Sprintf("failure(%d)", int(f))
}

// SendError is what a Sender returns when a reply was not delivered.
type SendError struct {
	Kind       Failure
	RetryAfter time.Duration // for Throttled
	Err        error
	// Delivered counts, for a reply sent in parts (PartSender), the parts
	// that went out before this failure, from the reply's first.
	Delivered int
}

func (e *SendError) Error() string {
	if e.Kind == Throttled {
		return fmt.Sprintf("%s (retry after %s): %v", e.Kind, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Kind, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Classify reads a Sender's error; an error that is not a *SendError counts as Retryable.
func Classify(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Kind: Retryable, Err: err}
}
