package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lindungi/lindungi/flows"
)

// Metrics are the Prometheus series of the channels. They live in the
// registry the caller gives, not a global one.
type Metrics struct {
	updates  *prometheus.CounterVec
	failures *prometheus.CounterVec
	handling *prometheus.HistogramVec
	replies  *prometheus.CounterVec
	pauses   *prometheus.CounterVec
}

// NewMetrics registers the series in reg. backlog counts the replies waiting
// in the outbox; it is read at each scrape.
func NewMetrics(reg prometheus.Registerer, backlog func(ctx context.Context) (int, error)) *Metrics {
	m := &Metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_updates_received_total", Help: "Inbound updates handled, by channel.",
		}, []string{"channel"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_updates_failed_total", Help: "Inbound updates whose handling failed (they are retried by their channel).",
		}, []string{"channel"}),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lindungi_update_handling_seconds", Help: "Time to handle one update: session, flow, domain writes, outbox.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"channel"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_replies_total", Help: "Reply delivery attempts by channel and outcome (sent, retryable, throttled, unreachable, permanent).",
		}, []string{"channel", "outcome"}),
		pauses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lindungi_rate_limit_pauses_total", Help: "Times a channel answered 429 and sending paused.",
		}, []string{"channel"}),
	}
	reg.MustRegister(m.updates, m.failures, m.handling, m.replies, m.pauses)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "lindungi_outbox_backlog", Help: "Replies waiting in the outbox.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := backlog(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return m
}

// ObserveUpdate records one handled update (Dispatcher.Observe).
func (m *Metrics) ObserveUpdate(ev flows.Event, err error, took time.Duration) {
	m.updates.WithLabelValues(ev.Channel).Inc()
	m.handling.WithLabelValues(ev.Channel).Observe(took.Seconds())
	if err != nil {
		m.failures.WithLabelValues(ev.Channel).Inc()
	}
}

// ObserveDelivery records one delivery attempt (Deliverer.Observe).
func (m *Metrics) ObserveDelivery(channel, outcome string) {
	m.replies.WithLabelValues(channel, outcome).Inc()
	if outcome == Throttled.String() {
		m.pauses.WithLabelValues(channel).Inc()
	}
}
