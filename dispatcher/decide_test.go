package dispatcher

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/retry"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	policy := retry.Policy{Schedule: []time.Duration{0, 5 * time.Second, time.Minute}, Jitter: -1}
	three := 3
	two := 2
	tests := []struct {
		name       string
		o          outcome
		max        *int
		wantStatus schematype.DeliveryStatus
		wantNext   time.Duration // from now; 0: no next attempt
		wantClass  string
		disable    bool
	}{
		{name: "200", o: outcome{number: 1, status: 200}, wantStatus: schematype.DeliverySucceeded},
		{name: "204", o: outcome{number: 2, status: 204}, wantStatus: schematype.DeliverySucceeded},
		{name: "500 after the first attempt", o: outcome{number: 1, status: 500}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "http_status"},
		{name: "503 after the second attempt", o: outcome{number: 2, status: 503}, wantStatus: schematype.DeliveryRetrying, wantNext: time.Minute, wantClass: "http_status"},
		{name: "500 after the last attempt", o: outcome{number: 3, status: 500}, wantStatus: schematype.DeliveryFailed, wantClass: "http_status"},
		{name: "webhook allows fewer attempts", o: outcome{number: 2, status: 500}, max: &two, wantStatus: schematype.DeliveryFailed, wantClass: "http_status"},
		{name: "limit above the schedule is the schedule", o: outcome{number: 2, status: 500}, max: &three, wantStatus: schematype.DeliveryRetrying, wantNext: time.Minute, wantClass: "http_status"},
		{name: "429 with Retry-After seconds", o: outcome{number: 1, status: 429, headers: http.Header{"Retry-After": {"30"}}}, wantStatus: schematype.DeliveryRetrying, wantNext: 30 * time.Second, wantClass: "http_status"},
		{name: "Retry-After shorter than the schedule", o: outcome{number: 1, status: 503, headers: http.Header{"Retry-After": {"1"}}}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "http_status"},
		{name: "Retry-After as HTTP date", o: outcome{number: 1, status: 503, headers: http.Header{"Retry-After": {now.Add(2 * time.Minute).Format(http.TimeFormat)}}}, wantStatus: schematype.DeliveryRetrying, wantNext: 2 * time.Minute, wantClass: "http_status"},
		{name: "408", o: outcome{number: 1, status: 408}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "http_status"},
		{name: "425", o: outcome{number: 1, status: 425}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "http_status"},
		{name: "timeout", o: outcome{number: 1, err: errors.New("deadline"), errClass: "timeout"}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "timeout"},
		{name: "ssrf blocked", o: outcome{number: 1, err: errors.New("blocked"), errClass: "ssrf_blocked"}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "ssrf_blocked"},
		{name: "400", o: outcome{number: 1, status: 400}, wantStatus: schematype.DeliveryFailed, wantClass: "http_status"},
		{name: "404", o: outcome{number: 1, status: 404}, wantStatus: schematype.DeliveryFailed, wantClass: "http_status"},
		{name: "410 disables", o: outcome{number: 1, status: 410}, wantStatus: schematype.DeliveryFailed, wantClass: "http_status", disable: true},
		{name: "test deliveries are never retried", o: outcome{number: 1, status: 500, test: true}, wantStatus: schematype.DeliveryFailed, wantClass: "http_status"},
		{name: "redelivered: the schedule starts again", o: outcome{number: 4, status: 500, delivery: &ent.Delivery{RetryBase: 3}}, wantStatus: schematype.DeliveryRetrying, wantNext: 5 * time.Second, wantClass: "http_status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.o
			if o.delivery == nil {
				o.delivery = &ent.Delivery{}
			}
			if o.err == nil && o.headers == nil {
				o.headers = http.Header{}
			}
			v := decide(policy, o, tt.max, now)
			require.Equal(t, tt.wantStatus, v.status)
			require.Equal(t, tt.wantClass, v.errClass)
			require.Equal(t, tt.disable, v.disable != "")
			if tt.wantNext == 0 {
				require.Nil(t, v.next)
			} else {
				require.NotNil(t, v.next)
				require.Equal(t, tt.wantNext, v.next.Sub(now))
			}
			if tt.wantStatus != schematype.DeliverySucceeded {
				require.NotEmpty(t, v.lastError)
			}
		})
	}
}
