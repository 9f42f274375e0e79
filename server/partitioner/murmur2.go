// Package partitioner maps record keys to partitions exactly as Kafka's
// default partitioner does, so keyed data lands where Kafka clients put it.
package partitioner

// Murmur2 is Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2):
// 32-bit MurmurHash2 with seed 0x9747b28c, returned as Java's signed int.
func Murmur2(data []byte) int32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	length := len(data)
	h := uint32(seed) ^ uint32(length)
	for i := 0; i+4 <= length; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[length&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// ForKey returns the partition of a key (any non-null key, empty included)
// among n partitions:
// toPositive(murmur2(key)) % n, as Kafka's BuiltInPartitioner.partitionForKey.
func ForKey(key []byte, n int32) int32 {
	return (Murmur2(key) & 0x7fffffff) % n
}
