package dispatcher

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
)

// metrics are the dispatcher's Prometheus metrics. A nil *metrics records
// nothing.
type metrics struct {
	outcomes *prometheus.CounterVec
	latency  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, client *ent.Client) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "profilehooks_delivery_attempts_total",
			Help: "Delivery attempts by the status their delivery reached (SUCCEEDED, RETRYING, FAILED).",
		}, []string{"status"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "profilehooks_delivery_attempt_duration_seconds",
			Help:    "Duration of delivery attempts, request sent to response read.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
	}
	open := []schematype.DeliveryStatus{schematype.DeliveryPending, schematype.DeliveryRetrying}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "profilehooks_delivery_queue_depth",
		Help: "Open deliveries (pending or retrying).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := client.Delivery.Query().Where(delivery.StatusIn(open...), delivery.Test(false)).Count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "profilehooks_delivery_oldest_due_age_seconds",
		Help: "How long the oldest due delivery has been waiting; 0 when none is due.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		now := time.Now()
		dl, err := client.Delivery.Query().
			Where(delivery.StatusIn(open...), delivery.Test(false), delivery.NextAttemptAtLTE(now)).
			Order(ent.Asc(delivery.FieldNextAttemptAt)).First(ctx)
		if err != nil || dl.NextAttemptAt == nil {
			return 0
		}
		return now.Sub(*dl.NextAttemptAt).Seconds()
	})
	reg.MustRegister(m.outcomes, m.latency, depth, oldest)
	return m
}

func (m *metrics) observe(o outcome, status string) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(status).Inc()
	m.latency.Observe(o.duration.Seconds())
}
