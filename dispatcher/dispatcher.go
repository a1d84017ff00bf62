// Package dispatcher delivers profile events to webhooks durably. It runs in
// the server process and shares its ent client.
//
// Every event writes its deliveries in its own transaction (FanOut, the
// outbox). The dispatcher then loops through four small steps:
//
//   - load: claim due deliveries with a lease, in one transaction, oldest
//     first, first attempts before retries, at most one open delivery per
//     webhook and user at a time (ordering);
//   - send: POST the stored body with fresh signature headers through the
//     SSRF-guarded client;
//   - decide: turn the answer into a typed outcome (retry.Decision) and the
//     delivery's next state;
//   - record: write attempts, delivery states, webhook health and response
//     write-backs in one transaction per batch, then publish the attempts
//     to live subscribers.
//
// A commit that writes deliveries wakes the dispatcher, so first attempts
// start within milliseconds; retries and expired leases are found by a timer
// set to the next due time. A crash loses nothing: an unfinished claim's
// lease expires and the delivery is claimed again, under the same ID.
package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"entgo.io/ent/dialect"

	"github.com/profilehooks/profilehooks/credential"
	"github.com/profilehooks/profilehooks/ent"
	"github.com/profilehooks/profilehooks/ent/delivery"
	"github.com/profilehooks/profilehooks/ent/schema/schematype"
	"github.com/profilehooks/profilehooks/feed"
	"github.com/profilehooks/profilehooks/pgnotify"
	"github.com/profilehooks/profilehooks/profile"
	"github.com/profilehooks/profilehooks/retry"
	"github.com/profilehooks/profilehooks/secret"
	"github.com/profilehooks/profilehooks/store"
)

// Config configures a Dispatcher. Client, HTTP and Box are required; every
// other zero value takes the default its doc comment gives.
type Config struct {
	// Client is the service's ent client, shared with the API.
	Client *ent.Client
	// HTTP sends the requests, token requests of webhook credentials
	// included; use egress.NewClient so the SSRF guard applies. Its Timeout
	// should be zero or above every webhook's timeout.
	HTTP *http.Client
	// Box opens the webhooks' sealed signing secrets and seals and opens
	// the secrets of webhook credentials.
	Box *secret.Box
	// Profiles writes response parameters back into profiles.
	Profiles *profile.Service
	// Policy is the retry policy; the zero value is the default schedule.
	Policy retry.Policy
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Workers bounds the attempts in flight; 0 means 256.
	Workers int
	// PerWebhook bounds the attempts in flight to one webhook; 0 means 64.
	PerWebhook int
	// RetryWorkers bounds the workers retries may use, so first attempts
	// never wait behind a backlog of retries; 0 means Workers/2.
	RetryWorkers int
	// LeaseMargin is added to a webhook's timeout to make a claim's lease;
	// 0 means 30s.
	LeaseMargin time.Duration
	// FailureWindow disables a webhook that failed without a success for
	// this long; 0 means 5 days.
	FailureWindow time.Duration
	// Retention is how long attempts and finished deliveries are kept; 0
	// means 30 days.
	Retention time.Duration
	// UserAgent is sent with every request; "" means "profilehooks/dev".
	UserAgent string
	// Logger receives the dispatcher's logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the dispatcher's metrics; nil registers none.
	Registerer prometheus.Registerer
	// Dialect is the database dialect ("sqlite3" or "postgres"); it selects
	// the claim query and how replicas are woken.
	Dialect string
	// Schema is, on PostgreSQL, the schema of the tables; it names the
	// notification channels.
	Schema string
	// Listener, on PostgreSQL, hears the other replicas' wake-ups and
	// recorded attempts; New registers with it, and the caller runs it.
	// Nil means a single replica.
	Listener *pgnotify.Listener
}

// Dispatcher delivers events to webhooks. Create it with New, wire FanOut
// into the profile service, and run it with Run.
type Dispatcher struct {
	cfg     Config
	owner   string // lease owner: this process
	policy  retry.Policy
	log     *slog.Logger
	metrics *metrics
	wake    chan struct{}
	feed    feed.Broker[Recorded]
	creds   *credential.Service
	// rechecks are the lanes to check again after their transactions
	// committed (PostgreSQL; see lane).
	rechecks rechecks

	mu         sync.Mutex
	inflight   int
	retrying   int
	perWebhook map[string]int
	sending    map[string]bool // IDs of the deliveries in flight
}

// Recorded is an attempt as it is published to live subscribers, with the
// state its delivery reached.
type Recorded struct {
	Attempt   *ent.DeliveryAttempt
	WebhookID string
	Status    string
}

// New returns a Dispatcher for cfg.
func New(cfg Config) *Dispatcher {
	if cfg.Workers <= 0 {
		cfg.Workers = 256
	}
	if cfg.PerWebhook <= 0 {
		cfg.PerWebhook = 64
	}
	if cfg.RetryWorkers <= 0 {
		cfg.RetryWorkers = max(1, cfg.Workers/2)
	}
	if cfg.LeaseMargin <= 0 {
		cfg.LeaseMargin = 30 * time.Second
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = 5 * 24 * time.Hour
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "profilehooks/dev"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{
		cfg:        cfg,
		owner:      store.NewOwnerID(),
		policy:     cfg.Policy,
		log:        cfg.Logger,
		metrics:    newMetrics(cfg.Registerer, cfg.Client),
		wake:       make(chan struct{}, 1),
		perWebhook: map[string]int{},
		sending:    map[string]bool{},
		creds:      credential.New(credential.Config{Client: cfg.Client, Box: cfg.Box, HTTP: cfg.HTTP, Now: cfg.Now}),
	}
	d.listenTo(cfg.Listener)
	return d
}

func (d *Dispatcher) now() time.Time {
	if d.cfg.Now != nil {
		return d.cfg.Now()
	}
	return time.Now()
}

// Wake makes the dispatcher look for due deliveries now. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// maxIdle is the longest the dispatcher sleeps without a wake-up: it bounds
// how late a delivery whose lease expired (a crashed process) is found.
const maxIdle = time.Second

// Run delivers until ctx ends, then stops claiming, lets the attempts in
// flight finish and records them before it returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	if err := d.recoverLeases(ctx); err != nil {
		return err
	}
	if err := d.TidyLanes(ctx); err != nil {
		return err
	}
	jobs := make(chan *ent.Delivery)
	results := make(chan outcome, d.cfg.Workers)
	var workers sync.WaitGroup
	for range d.cfg.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				// Attempts in flight finish even when ctx ends; their own
				// timeout bounds them.
				results <- d.attempt(context.WithoutCancel(ctx), j)
			}
		}()
	}
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.recordLoop(results)
	}()
	go d.retentionLoop(ctx)

	err := d.claimLoop(ctx, jobs)
	close(jobs)
	workers.Wait()
	close(results)
	<-recorded
	return err
}

func (d *Dispatcher) claimLoop(ctx context.Context, jobs chan<- *ent.Delivery) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	swept := d.now() // Run tidied the lanes
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-timer.C:
		}
		swept = d.tendLanes(ctx, swept)
		claimed, next, more, err := d.claim(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("dispatcher: claim", "err", err)
			next = d.now().Add(maxIdle)
		}
		for _, dl := range claimed {
			jobs <- dl
		}
		// Sleep until the next delivery falls due, at most maxIdle. A due
		// delivery that could not be claimed (its predecessor is in flight,
		// its webhook at its limit) is retried on the wake-up that the
		// recorder sends after every batch.
		wait := maxIdle
		if now := d.now(); next.After(now) {
			wait = min(maxIdle, next.Sub(now))
		}
		if len(claimed) > 0 && more && d.hasRoom() {
			wait = 0 // the claim stopped at its limit: there may be more due now
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// tendLanes, on PostgreSQL, rechecks the lanes noted since the last round
// and sweeps every lane when sweepEvery has passed since swept; it returns
// when the last sweep ran. Failures are logged: the next round tries again.
func (d *Dispatcher) tendLanes(ctx context.Context, swept time.Time) time.Time {
	if d.cfg.Dialect != dialect.Postgres {
		return swept
	}
	if err := d.recheck(ctx); err != nil && !errors.Is(err, context.Canceled) {
		d.log.Error("dispatcher: recheck lanes", "err", err)
	}
	if now := d.now(); now.Sub(swept) >= sweepEvery {
		if err := d.sweep(ctx); err != nil {
			if !errors.Is(err, context.Canceled) {
				d.log.Error("dispatcher: sweep lanes", "err", err)
			}
			return swept
		}
		return now
	}
	return swept
}

// subscriberBuffer is how far a live subscriber may fall behind before it
// is dropped: four record batches, so that a subscriber that keeps up on
// average survives the bursts a busy recorder publishes at once.
const subscriberBuffer = 4 * maxBatch

// Subscribe streams the attempts recorded from now on whose webhook is
// webhookID (empty: any) and whose delivery reached one of statuses (empty:
// any). The channel closes when ctx ends or the subscriber falls
// subscriberBuffer attempts behind.
func (d *Dispatcher) Subscribe(ctx context.Context, webhookID *string, statuses []schematype.DeliveryStatus) <-chan *ent.DeliveryAttempt {
	in := d.feed.Subscribe(ctx, subscriberBuffer, func(r Recorded) bool {
		if webhookID != nil && *webhookID != "" && r.WebhookID != *webhookID {
			return false
		}
		if len(statuses) == 0 {
			return true
		}
		for _, s := range statuses {
			if string(s) == r.Status {
				return true
			}
		}
		return false
	})
	out := make(chan *ent.DeliveryAttempt, cap(in))
	go func() {
		defer close(out)
		for r := range in {
			select {
			case out <- r.Attempt:
			default:
				return // behind: drop, as the feed does
			}
		}
	}()
	return out
}

func (d *Dispatcher) errorf(format string, args ...any) error {
	return fmt.Errorf("dispatcher: "+format, args...)
}

// Subscribers returns how many live subscriptions are open.
func (d *Dispatcher) Subscribers() int { return d.feed.Len() }

// recoverLeases releases, on SQLite, the leases a previous process left
// behind: only one process uses a SQLite file, so any lease not ours
// belongs to a process that died, and its deliveries are due again at once
// instead of when the lease would expire. On PostgreSQL other replicas may
// be alive; their leases are left to expire.
func (d *Dispatcher) recoverLeases(ctx context.Context) error {
	if d.cfg.Dialect != dialect.SQLite {
		return nil
	}
	n, err := d.cfg.Client.Delivery.Update().
		Where(delivery.LeaseOwnerNEQ(d.owner), delivery.LeaseExpiresAtNotNil()).
		ClearLeaseOwner().
		ClearLeaseExpiresAt().
		Save(ctx)
	if err != nil {
		return d.errorf("recover leases: %w", err)
	}
	if n > 0 {
		d.log.Warn("dispatcher: released the leases of a previous process; their deliveries are attempted again under the same IDs", "deliveries", n)
	}
	return nil
}
