package quota

import (
	"strconv"
	"testing"
	"time"
)

// TestMostSpecificQuotaWins sets one limit per Kafka entity shape and checks
// that each call gets the most specific one that matches it.
func TestMostSpecificQuotaWins(t *testing.T) {
	none := Part{}
	alice, app := Name("User:alice"), Name("app")
	levels := []Entity{
		{alice, app}, {alice, Any}, {alice, none},
		{Any, app}, {Any, Any}, {Any, none},
		{none, app}, {none, Any},
	}
	// Remove the most specific entity one at a time: the next one wins.
	for i := range levels {
		var cs []Config
		for j, e := range levels[i:] {
			var l Limits
			l[ProduceBytes] = float64(100 * (i + j + 1))
			cs = append(cs, Config{Entity: e, Limits: l})
		}
		got, key, ok := NewTable(cs).Resolve("User:alice", "app", ProduceBytes)
		if !ok || got != float64(100*(i+1)) {
			t.Fatalf("with entities from %v on: limit %v (ok %v), want %v", levels[i], got, ok, 100*(i+1))
		}
		if key.Entity.User.Kind == Default || key.Entity.ClientID.Kind == Default {
			t.Errorf("usage key %v keeps a default part: each user and client id must count on its own", key.Entity)
		}
	}
}

func TestCallWithoutClientIDMatchesOnlyDefaultClientID(t *testing.T) {
	var l Limits
	l[Requests] = 5
	tab := NewTable([]Config{
		{Entity: Entity{ClientID: Name("app")}, Limits: l},
		{Entity: Entity{User: Name("User:bob"), ClientID: Name("app")}, Limits: l},
	})
	if _, _, ok := tab.Resolve("User:bob", "", Requests); ok {
		t.Fatal("a call naming no client id matched an entity naming one")
	}
	tab = NewTable([]Config{{Entity: Entity{ClientID: Any}, Limits: l}})
	if _, key, ok := tab.Resolve("User:bob", "", Requests); !ok || key.Entity.ClientID != Name("") {
		t.Fatalf("default client id: ok %v, key %v", ok, key)
	}
}

func TestEachQuotaTypeResolvesOnItsOwn(t *testing.T) {
	var specific, general Limits
	specific[FetchBytes] = 10
	general[ProduceBytes], general[FetchBytes] = 20, 30
	tab := NewTable([]Config{
		{Entity: Entity{User: Name("User:alice")}, Limits: specific},
		{Entity: Entity{User: Any}, Limits: general},
	})
	if l, _, _ := tab.Resolve("User:alice", "", FetchBytes); l != 10 {
		t.Errorf("fetch: %v, want the user's 10", l)
	}
	if l, _, _ := tab.Resolve("User:alice", "", ProduceBytes); l != 20 {
		t.Errorf("produce: %v, want the default user's 20 (the user sets no produce limit)", l)
	}
	if _, _, ok := tab.Resolve("User:alice", "", Requests); ok {
		t.Error("requests: no entity sets it, but a limit applied")
	}
}

func TestDefaultQuotaIsNotShared(t *testing.T) {
	var l Limits
	l[ProduceBytes] = 1000
	tab := NewTable([]Config{{Entity: Entity{User: Any}, Limits: l}})
	_, ka, _ := tab.Resolve("User:alice", "x", ProduceBytes)
	_, kb, _ := tab.Resolve("User:bob", "x", ProduceBytes)
	if ka == kb {
		t.Fatalf("alice and bob count against one usage %v under a default quota", ka)
	}
	c, _ := newClock()
	tr := NewTracker(c.now)
	if d := tr.Take(ka, 1000, 1000); d != 0 {
		t.Fatalf("alice's first second: delay %v", d)
	}
	if d := tr.Take(kb, 1000, 1000); d != 0 {
		t.Fatalf("bob held back %v by alice's usage", d)
	}
}

type fixedClock struct{ t *time.Time }

func (c fixedClock) now() time.Time { return *c.t }

func newClock() (fixedClock, func(time.Duration)) {
	t := time.Unix(1000, 0)
	c := fixedClock{t: &t}
	return c, func(d time.Duration) { *c.t = c.t.Add(d) }
}

// TestTrackerHoldsKeyToItsLimit sends 100 KB requests at a 1 MB/s limit as
// fast as the delays allow; over 10 s of clock the key gets 1 MB/s plus one
// burst.
func TestTrackerHoldsKeyToItsLimit(t *testing.T) {
	c, advance := newClock()
	tr := NewTracker(c.now)
	key := Key{Entity: Entity{ClientID: Name("a")}, Type: ProduceBytes}
	const limit, size = 1e6, 1e5
	start := c.now()
	sent := 0.0
	for c.now().Sub(start) < 10*time.Second {
		d := tr.Take(key, limit, size)
		sent += size
		advance(max(d, time.Millisecond))
	}
	rate := sent / c.now().Sub(start).Seconds()
	if want := limit + limit*Burst.Seconds()/10; rate < 0.98*want || rate > 1.02*want {
		t.Fatalf("rate %.0f B/s, want about %.0f", rate, want)
	}
}

func TestThrottleIsBounded(t *testing.T) {
	c, _ := newClock()
	tr := NewTracker(c.now)
	key := Key{Entity: Entity{ClientID: Name("a")}, Type: ProduceBytes}
	if d := tr.Take(key, 1000, 64<<20); d != MaxThrottle {
		t.Fatalf("64 MiB at 1000 B/s: delay %v, want MaxThrottle %v", d, MaxThrottle)
	}
	if d := tr.Take(key, 1000, 1); d != MaxThrottle {
		t.Fatalf("the next byte: delay %v, want %v (the excess past MaxThrottle is forgotten)", d, MaxThrottle)
	}
}

func TestTrackerDropsIdleKeysAtItsBound(t *testing.T) {
	c, advance := newClock()
	tr := NewTracker(c.now)
	for i := range 2 * MaxKeys {
		tr.Take(Key{Entity: Entity{ClientID: Name(strconv.Itoa(i))}, Type: Requests}, 10, 1)
		if i == MaxKeys {
			advance(2 * Burst)
		}
	}
	if n := tr.Len(); n > MaxKeys {
		t.Fatalf("tracker holds %d keys, over MaxKeys %d", n, MaxKeys)
	}
	// Past the bound with every key busy, a new key is still held to its limit.
	busy := Key{Entity: Entity{ClientID: Name("busy")}, Type: Requests}
	for range 20 {
		tr.Take(busy, 10, 1)
	}
	if d := tr.Take(busy, 10, 1); d == 0 {
		t.Fatal("a key past the tracker's bound is not held to its limit")
	}
}

func TestCompareOrdersNoneDefaultNames(t *testing.T) {
	cs := []Config{
		{Entity: Entity{User: Name("User:b")}},
		{Entity: Entity{User: Any}},
		{Entity: Entity{ClientID: Name("x")}},
		{Entity: Entity{User: Name("User:a"), ClientID: Any}},
		{Entity: Entity{User: Name("User:a")}},
	}
	SortConfigs(cs)
	want := []Entity{
		{ClientID: Name("x")}, {User: Any}, {User: Name("User:a")}, {User: Name("User:a"), ClientID: Any}, {User: Name("User:b")},
	}
	for i, c := range cs {
		if c.Entity != want[i] {
			t.Fatalf("order %v, want %v at %d", cs, want, i)
		}
	}
}
