package whatsapp

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/lindungi/lindungi/bot"
	"github.com/lindungi/lindungi/flows"
)

// maxImage is the largest image WhatsApp takes (JPEG or PNG, 5 MB).
const maxImage = 5 << 20

// UploadMedia uploads an image (image/png or image/jpeg, at most 5 MB) with
// POST /{phone-number-id}/media and returns its media id, which a message
// may name for 30 days. The card carries personal data, so it is uploaded,
// never linked.
func (c *Client) UploadMedia(ctx context.Context, data []byte, mime string) (string, error) {
	ext := map[string]string{"image/png": "png", "image/jpeg": "jpg"}[mime]
	if ext == "" {
		return "", &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("whatsapp: upload: %q is not an image WhatsApp takes (image/png, image/jpeg)", mime)}
	}
	if len(data) == 0 || len(data) > maxImage {
		return "", &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("whatsapp: upload: an image of %d bytes (WhatsApp takes 1 byte to 5 MB)", len(data))}
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("messaging_product", "whatsapp")
	w.WriteField("type", mime)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="kartu.`+ext+`"`)
	h.Set("Content-Type", mime)
	part, err := w.CreatePart(h)
	if err != nil {
		return "", fmt.Errorf("whatsapp: upload: %w", err)
	}
	part.Write(data)
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("whatsapp: upload: %w", err)
	}
	var ans struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "media", http.MethodPost, c.api+"/"+c.phoneID+"/media", w.FormDataContentType(), &body, &ans); err != nil {
		return "", classify(fmt.Errorf("whatsapp: upload media: %w", err))
	}
	if ans.ID == "" {
		return "", &bot.SendError{Kind: bot.Retryable, Err: fmt.Errorf("whatsapp: upload media: no media id in the answer")}
	}
	return ans.ID, nil
}

// SendImage sends an uploaded image (a media id) with a caption (cut to
// 1024 characters) and returns the message's wamid.
func (c *Client) SendImage(ctx context.Context, to, mediaID, caption string) (string, error) {
	if units(caption) > maxCaption {
		caption = fit(caption, maxCaption)
	}
	m := outMessage{Type: "image", Image: &outMedia{ID: mediaID, Caption: caption}}
	address(&m, to)
	id, err := c.sendMessage(ctx, m)
	if err != nil {
		return "", classify(fmt.Errorf("whatsapp: send an image to %s: %w", who(to), err))
	}
	return id, nil
}

// sendPhoto draws, uploads and sends a reply's card, its text as the
// caption when the reply has no choices and the text fits; captioned says
// whether it did.
func (c *Client) sendPhoto(ctx context.Context, to string, r flows.Reply) (id string, captioned bool, err error) {
	img, err := c.photos.Photo(ctx, r.Photo)
	if err != nil {
		return "", false, &bot.SendError{Kind: bot.Permanent, Err: fmt.Errorf("whatsapp: draw %s for %s: %w", r.Photo, who(to), err)}
	}
	mime := http.DetectContentType(img)
	mediaID, err := c.UploadMedia(ctx, img, mime)
	if err != nil {
		return "", false, err
	}
	caption := ""
	if text := strings.TrimRight(r.Text, "\n"); len(c.usable(r.Choices)) == 0 && strings.TrimSpace(text) != "" && units(text) <= maxCaption {
		caption = text
	}
	id, err = c.SendImage(ctx, to, mediaID, caption)
	return id, caption != "", err
}

// Read receipts: MarkReadSoon's workers and its queue (full, a receipt is
// dropped: it is a courtesy).
const (
	readWorkers = 16
	readQueue   = 4096
)

// MarkRead marks an inbound message read (the user sees two blue ticks),
// with the typing indicator when Options.Typing is set.
func (c *Client) MarkRead(ctx context.Context, wamid string) error {
	req := map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
	if c.typing {
		req["typing_indicator"] = map[string]string{"type": "text"}
	}
	var ans struct {
		Success bool `json:"success"`
	}
	if err := c.postJSON(ctx, "read", "/"+c.phoneID+"/messages", req, &ans); err != nil {
		return fmt.Errorf("whatsapp: mark %s read: %w", wamid, err)
	}
	return nil
}

// MarkReadSoon marks messages read in the background, at once and
// alongside the others, never holding the caller (a webhook on its way to
// its 200).
func (c *Client) MarkReadSoon(wamids []string) {
	c.readOnce.Do(func() {
		for range readWorkers {
			go func() {
				for id := range c.reads {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					if err := c.MarkRead(ctx, id); err != nil {
						c.log.Debug("whatsapp: read receipt", "err", err)
					}
					cancel()
				}
			}()
		}
	})
	for _, id := range wamids {
		select {
		case c.reads <- id:
		default:
			c.log.Debug("whatsapp: read receipts queue full; one dropped")
		}
	}
}
