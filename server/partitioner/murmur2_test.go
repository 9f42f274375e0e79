package partitioner

import "testing"

// Vectors from Kafka's UtilsTest.testMurmur2.
func TestMurmur2MatchesKafka(t *testing.T) {
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := Murmur2([]byte(in)); got != want {
			t.Errorf("Murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestForKeyIsInRange(t *testing.T) {
	for _, key := range []string{"21", "foobar", "abc", "x"} {
		for n := int32(1); n <= 13; n++ {
			p := ForKey([]byte(key), n)
			want := (Murmur2([]byte(key)) & 0x7fffffff) % n
			if p < 0 || p >= n || p != want {
				t.Errorf("ForKey(%q, %d) = %d", key, n, p)
			}
		}
	}
}
