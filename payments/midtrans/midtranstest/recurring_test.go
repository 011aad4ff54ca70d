package midtranstest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/lindungi/lindungi/payments/midtrans/midtranstest"
)

func post(t *testing.T, srv *midtranstest.Server, path string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL()+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(midtranstest.ServerKey+":")))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestRecurringEndpoints(t *testing.T) {
	srv := midtranstest.NewServer(t)
	if code, m := call(t, srv, http.MethodGet, "/v2/pay/account/nope", "SB-Mid-server-Wrong"); code != 401 || m["status_code"] != "401" {
		t.Fatalf("wrong key: %d %v", code, m)
	}
	code, m := post(t, srv, "/v2/pay/account", map[string]any{"payment_type": "gopay", "gopay_partner": map[string]string{"phone_number": "81212345678", "country_code": "62"}})
	if code != 201 || m["account_status"] != "PENDING" || len(m["actions"].([]any)) != 3 {
		t.Fatalf("link: %d %v", code, m)
	}
	id := m["account_id"].(string)
	sub := map[string]any{"name": "BPU-X", "amount": "16800", "currency": "IDR", "payment_type": "gopay", "token": "t",
		"schedule":       map[string]any{"interval": 1, "interval_unit": "month", "max_interval": 12, "start_time": "2027-01-01 07:00:00 +0700"},
		"retry_schedule": map[string]any{"interval": 1, "interval_unit": "day", "max_interval": 3}, "gopay": map[string]string{"account_id": id}}
	if code, m := post(t, srv, "/v1/subscriptions", sub); code != 400 || m["validation_message"] == nil {
		t.Fatalf("subscribing a pending account: %d %v", code, m)
	}
	srv.Activate(id)
	_, acc := call(t, srv, http.MethodGet, "/v2/pay/account/"+id, midtranstest.ServerKey)
	opts := acc["metadata"].(map[string]any)["payment_options"].([]any)
	sub["token"] = opts[1].(map[string]any)["token"]
	sub["retry_schedule"] = map[string]any{"interval": 1, "interval_unit": "day", "max_interval": 4}
	if code, _ := post(t, srv, "/v1/subscriptions", sub); code != 400 {
		t.Fatalf("four retries accepted: %d", code)
	}
	sub["retry_schedule"] = map[string]any{"interval": 1, "interval_unit": "day", "max_interval": 3}
	srv.Fail("subscribe", 1, midtranstest.InternalError)
	if code, _ := post(t, srv, "/v1/subscriptions", sub); code != 500 {
		t.Fatalf("scripted failure: %d", code)
	}
	code, m = post(t, srv, "/v1/subscriptions", sub)
	if code != 200 || m["status"] != "active" || m["amount"] != "16800" {
		t.Fatalf("subscribe: %d %v", code, m)
	}
	if code, again := post(t, srv, "/v1/subscriptions", sub); code != 200 || again["id"] != m["id"] {
		t.Fatalf("create is idempotent on the name: %v", again)
	}
	if code, m := call(t, srv, http.MethodGet, "/v1/subscriptions/nope", midtranstest.ServerKey); code != 404 || m["status_message"] == nil {
		t.Fatalf("unknown subscription: %d %v", code, m)
	}
	if _, _, ok := srv.ChargeSubscription("nope", true); ok {
		t.Fatal("charged an unknown subscription")
	}
	// An unlinked account's charge fails.
	post(t, srv, "/v2/pay/account/"+id+"/unbind", nil)
	_, body, ok := srv.ChargeSubscription(m["id"].(string), true)
	var n map[string]any
	json.Unmarshal(body, &n)
	if !ok || n["transaction_status"] != "deny" || n["status_code"] != "202" || n["subscription_id"] != m["id"] {
		t.Fatalf("charge of an unlinked account: %v", n)
	}
}
