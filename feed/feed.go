// Package feed fans values out to live subscribers (the GraphQL
// subscriptions of delivery and inbound logs) without ever blocking the
// publisher: a subscriber whose buffer is full is dropped, not waited on.
package feed

import (
	"context"
	"sync"
)

// DefaultBuffer is the buffer of a subscription when Subscribe is given 0.
const DefaultBuffer = 256

// Broker publishes values of type T to subscribers. The zero value is ready
// to use. A Broker is safe for concurrent use.
type Broker[T any] struct {
	mu   sync.Mutex
	subs map[*subscription[T]]struct{}
}

type subscription[T any] struct {
	ch    chan T
	match func(T) bool
}

// Subscribe returns a channel that receives every published value for which
// match returns true (nil matches everything). The channel is closed when
// ctx ends or when the subscriber falls buffer values behind.
func (b *Broker[T]) Subscribe(ctx context.Context, buffer int, match func(T) bool) <-chan T {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	s := &subscription[T]{ch: make(chan T, buffer), match: match}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*subscription[T]]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.remove(s)
	}()
	return s.ch
}

// Publish offers v to every matching subscriber without blocking; a
// subscriber whose buffer is full is dropped and its channel closed.
func (b *Broker[T]) Publish(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.match != nil && !s.match(v) {
			continue
		}
		select {
		case s.ch <- v:
		default:
			delete(b.subs, s)
			close(s.ch)
		}
	}
}

// Len returns the number of subscribers.
func (b *Broker[T]) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

func (b *Broker[T]) remove(s *subscription[T]) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}
