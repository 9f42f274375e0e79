// Package sample makes record values for benchmarks of compression: JSON
// events of about 1 KiB, as application events typically are (fixed field
// names, a few enumerated values, random ids, numbers and tokens), so that
// compression ratios measured on them say something about real topics.
package sample

import (
	"fmt"
	"math/rand/v2"
)

var (
	types     = []string{"page_view", "add_to_cart", "checkout", "search", "login", "logout"}
	countries = []string{"DE", "US", "FR", "IN", "BR", "JP", "GB", "NL"}
	plans     = []string{"free", "pro", "team"}
	agents    = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0",
	}
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// JSONValues returns n JSON events of about 1 KiB each. The same seed gives
// the same values.
func JSONValues(seed uint64, n int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	token := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	out := make([][]byte, n)
	ts := int64(1_790_000_000_000)
	for i := range out {
		ts += rng.Int64N(50)
		out[i] = fmt.Appendf(nil, `{"event_id":"%08x-%04x-%04x-%04x-%012x","type":%q,"ts":%d,"user":{"id":%d,"country":%q,"plan":%q,"session":%q},`+
			`"page":{"url":"https://shop.example.com/products/%d?ref=%s","referrer":"https://www.example.org/search?q=item+%d","title":"Product %d - Example Shop"},`+
			`"device":{"user_agent":%q,"screen":"%dx%d","lang":"en-%s"},"cart":{"items":%d,"total_cents":%d,"currency":"EUR"},`+
			`"experiments":{"checkout_v2":%t,"reco_model":"m%d","price_test":"%s"},"trace":%q,"seq":%d}`,
			rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<16), rng.IntN(1<<16), rng.Int64N(1<<48), types[rng.IntN(len(types))], ts,
			rng.IntN(5_000_000), countries[rng.IntN(len(countries))], plans[rng.IntN(len(plans))], token(22),
			rng.IntN(100_000), token(8), rng.IntN(1000), rng.IntN(100_000),
			agents[rng.IntN(len(agents))], 320+rng.IntN(3000), 480+rng.IntN(1800), countries[rng.IntN(len(countries))],
			rng.IntN(20), rng.IntN(1_000_000), rng.IntN(2) == 0, rng.IntN(10), token(6), token(32), i)
		out[i] = appendItems(out[i][:len(out[i])-1], rng)
	}
	return out
}

var products = []string{"Espresso Machine", "Trail Running Shoes", "Noise Cancelling Headphones", "Cast Iron Pan",
	"Yoga Mat", "Mechanical Keyboard", "Rain Jacket", "Desk Lamp", "Water Bottle", "Backpack 30L"}

// appendItems ends an event with a list of cart items: repeated field names
// with varying values, the bulk of many real events.
func appendItems(b []byte, rng *rand.Rand) []byte {
	b = append(b, `,"items":[`...)
	for i := range 3 + rng.IntN(2) {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"sku":"SKU-%06d","name":%q,"qty":%d,"price_cents":%d,"discount":%q,"warehouse":"wh-%s-%d"}`,
			rng.IntN(1_000_000), products[rng.IntN(len(products))], 1+rng.IntN(4), 199+rng.IntN(50_000),
			[]string{"none", "SUMMER10", "VIP", "BUNDLE"}[rng.IntN(4)], countries[rng.IntN(len(countries))], rng.IntN(20))
	}
	return append(b, "]}"...)
}
