package sluice

import "time"

// SentTo returns, per partition of topic, how many batches the producer sent
// to each broker address.
func SentTo(p *Producer, topic string) map[int32]map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[int32]map[string]int{}
	for tp, byAddr := range p.sent {
		if tp.topic != topic {
			continue
		}
		out[tp.partition] = map[string]int{}
		for a, n := range byAddr {
			out[tp.partition][a] = n
		}
	}
	return out
}

// CurrentToken is the token WithSCRAM holds ("" before the first call).
func CurrentToken(c *Client) string {
	if c.auth == nil {
		return ""
	}
	return c.auth.a.current()
}

// SpoilToken replaces the token WithSCRAM holds with one no broker
// accepts, not due for renewal.
func SpoilToken(c *Client) {
	c.auth.a.mu.Lock()
	defer c.auth.a.mu.Unlock()
	c.auth.a.token = "sl1.spoilt"
	c.auth.a.renewAt = time.Now().Add(time.Hour)
}
