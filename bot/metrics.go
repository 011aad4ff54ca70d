package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lindungi/lindungi/clock"
	"github.com/lindungi/lindungi/flows"
)

// Metrics are the Prometheus series of the channels. They live in the
// registry the caller gives, not a global one. A nil *Metrics records
// nothing.
type Metrics struct {
	updates   *prometheus.CounterVec
	failures  *prometheus.CounterVec
	handling  *prometheus.HistogramVec
	replies   *prometheus.CounterVec
	answered  *prometheus.HistogramVec
	sending   *prometheus.HistogramVec
	inFlight  *prometheus.GaugeVec
	throttled *prometheus.CounterVec
	pauses    *prometheus.CounterVec
	calls     *prometheus.CounterVec
}

// Backlogs reports what waits in each channel's outbox (store.DB.Waiting).
type Backlogs func(ctx context.Context) (map[string]flows.Backlog, error)

// latencyBuckets span what a worker feels, from at once to "is it broken?".
var latencyBuckets = []float64{.01, .025, .05, .1, .15, .25, .4, .6, 1, 1.5, 2.5, 5, 10, 30}

// NewMetrics registers the series in reg. backlog is read at each scrape,
// for the replies waiting and the age of the oldest, per channel.
func NewMetrics(reg prometheus.Registerer, backlog Backlogs) *Metrics {
	byChannel := []string{"channel"}
	m := &Metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_updates_received_total", Help: "Inbound updates handled, by channel.",
		}, byChannel),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_updates_failed_total", Help: "Inbound updates whose handling failed (they are retried by their channel).",
		}, byChannel),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lindungi_update_handling_seconds", Help: "Time to handle one update: session, flow, domain writes, outbox.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, byChannel),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_replies_total", Help: "Delivery attempts by channel and outcome (sent, retryable, throttled, unreachable, permanent; broadcast_… for broadcasts).",
		}, []string{"channel", "outcome"}),
		answered: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lindungi_update_reply_seconds", Help: "From an update's arrival to the delivery of a reply to it: what the worker waits.",
			Buckets: latencyBuckets,
		}, byChannel),
		sending: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lindungi_send_seconds", Help: "One send call to the channel's API, answer included.",
			Buckets: latencyBuckets,
		}, byChannel),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "lindungi_sends_in_flight", Help: "Send calls on their way now.",
		}, byChannel),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_throttled_total", Help: "Sends the channel refused for the rate (HTTP 429).",
		}, byChannel),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_rate_limit_pauses_total", Help: "Times a 429 paused all sending of the channel (a 429 during a pause does not count again).",
		}, byChannel),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_api_calls_total", Help: "Requests to the channel's API, by method.",
		}, []string{"channel", "method"}),
	}
	reg.MustRegister(m.updates, m.failures, m.handling, m.replies, m.answered, m.sending, m.inFlight, m.throttled, m.pauses, m.calls)
	reg.MustRegister(backlogCollector{backlog})
	return m
}

// backlogCollector reads the outbox at each scrape.
type backlogCollector struct{ read Backlogs }

var (
	backlogDesc = prometheus.NewDesc("lindungi_outbox_backlog", "Replies waiting in the outbox (-1: the database did not answer).", []string{"channel"}, nil)
	oldestDesc  = prometheus.NewDesc("lindungi_outbox_oldest_seconds", "Age of the oldest reply waiting in the outbox (0: none waits).", []string{"channel"}, nil)
)

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- oldestDesc
}

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, -1, "")
		return
	}
	now := clock.Now()
	for channel, w := range b {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(w.Waiting), channel)
		age := 0.0
		if w.Waiting > 0 {
			age = max(now.Sub(w.Oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age, channel)
	}
}

// ObserveUpdate records one handled update (Dispatcher.Observe).
func (m *Metrics) ObserveUpdate(ev flows.Event, err error, took time.Duration) {
	if m == nil {
		return
	}
	m.updates.WithLabelValues(ev.Channel).Inc()
	m.handling.WithLabelValues(ev.Channel).Observe(took.Seconds())
	if err != nil {
		m.failures.WithLabelValues(ev.Channel).Inc()
	}
}

// Called counts the API requests of a channel's client by method
// (telegram.Options.Called).
func (m *Metrics) Called(channel string) func(method string) {
	return func(method string) {
		if m != nil {
			m.calls.WithLabelValues(channel, method).Inc()
		}
	}
}

// attempt records one delivery attempt and how long its call took.
func (m *Metrics) attempt(channel, outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.replies.WithLabelValues(channel, outcome).Inc()
	m.sending.WithLabelValues(channel).Observe(took.Seconds())
}

// delivered records a reply out, after how long since its update arrived.
func (m *Metrics) delivered(channel string, since time.Duration) {
	if m != nil {
		m.answered.WithLabelValues(channel).Observe(max(since, 0).Seconds())
	}
}

// flying counts a send starting (+1) or ending (-1).
func (m *Metrics) flying(channel string, delta float64) {
	if m != nil {
		m.inFlight.WithLabelValues(channel).Add(delta)
	}
}

// refused records a 429, and whether it began a pause.
func (m *Metrics) refused(channel string, paused bool) {
	if m == nil {
		return
	}
	m.throttled.WithLabelValues(channel).Inc()
	if paused {
		m.pauses.WithLabelValues(channel).Inc()
	}
}
