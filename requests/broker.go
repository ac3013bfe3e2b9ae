package requests

import (
	"sync"

	"github.com/xroshot/portal/models"
)

// Broker fans request changes out to subscriptions in this process.
// Replicas each have their own: a client subscribed to one replica sees the
// changes made through it. (Cross-replica fan-out would ride on PostgreSQL
// LISTEN/NOTIFY; not built yet.)
type Broker struct {
	mu   sync.Mutex
	subs map[string]map[chan *models.Request]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: map[string]map[chan *models.Request]struct{}{}}
}

// Subscribe returns a channel of the request's updates and a function that
// ends the subscription. Slow readers miss intermediate updates rather than
// block writers: each update carries the whole request.
func (b *Broker) Subscribe(requestID string) (<-chan *models.Request, func()) {
	ch := make(chan *models.Request, 8)
	b.mu.Lock()
	if b.subs[requestID] == nil {
		b.subs[requestID] = map[chan *models.Request]struct{}{}
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

// Publish sends r to every subscriber of its id, dropping it for readers
// whose buffer is full.
func (b *Broker) Publish(r *models.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[r.ID] {
		cp := *r
		select {
		case ch <- &cp:
		default:
		}
	}
}
