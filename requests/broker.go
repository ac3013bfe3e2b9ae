package requests

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/xroshot/portal/models"
)

// Broker tells subscriptions that a request changed. It carries only the
// request's id, never its content: every subscription reads the request
// afresh as its own viewer, so a push is never stale and never shows what
// that viewer may no longer see.
//
// Alone, a broker fans out within its process (the embedded SQLite store
// runs one process). With a Relay (PostgreSQL LISTEN/NOTIFY, see package
// live) a change is announced to every replica, and each replica's relay
// listener hands it back to its broker through Deliver.
type Broker struct {
	mu    sync.Mutex
	subs  map[string]map[chan struct{}]struct{}
	relay Relay
	log   *slog.Logger
}

// Relay announces a changed request to every replica, this one included.
type Relay interface {
	Announce(ctx context.Context, requestID string) error
}

// NewBroker returns an empty, in-process broker.
func NewBroker() *Broker {
	return &Broker{subs: map[string]map[chan struct{}]struct{}{}, log: slog.New(slog.DiscardHandler)}
}

// UseRelay routes Publish through r, whose listener must call Deliver on
// every replica; log receives the announcements that failed.
func (b *Broker) UseRelay(r Relay, log *slog.Logger) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.relay = r
	if log != nil {
		b.log = log
	}
}

// Subscribe returns a channel that receives a signal whenever the request
// may have changed, and a function that ends the subscription. Signals
// coalesce: a reader that is busy when several changes land gets one
// signal, and reads the latest state anyway.
func (b *Broker) Subscribe(requestID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs[requestID] == nil {
		b.subs[requestID] = map[chan struct{}]struct{}{}
	}
	b.subs[requestID][ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs[requestID], ch)
			if len(b.subs[requestID]) == 0 {
				delete(b.subs, requestID)
			}
			b.mu.Unlock()
			close(ch)
		})
	}
}

// Publish announces that r changed; call it after the change committed.
// Without a relay, or when the relay fails, the subscribers of this process
// are told directly: a database outage must not silence this replica too.
func (b *Broker) Publish(r *models.Request) {
	b.mu.Lock()
	relay := b.relay
	b.mu.Unlock()
	if relay != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := relay.Announce(ctx, r.ID)
		cancel()
		if err == nil {
			return
		}
		b.log.Warn("request change not announced to other replicas", "err", err)
	}
	b.Deliver(r.ID)
}

// Deliver signals this process's subscribers of the request.
func (b *Broker) Deliver(requestID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[requestID] {
		signal(ch)
	}
}

// DeliverAll signals every subscriber of this process, e.g. after the relay
// reconnected and may have missed announcements in between.
func (b *Broker) DeliverAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, chans := range b.subs {
		for ch := range chans {
			signal(ch)
		}
	}
}

// Subscribers counts this process's open subscriptions, for metrics.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, chans := range b.subs {
		n += len(chans)
	}
	return n
}

// signal leaves a pending signal in ch unless one is already waiting.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
