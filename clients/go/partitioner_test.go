package sluice_test

import (
	"encoding/json"
	"os"
	"testing"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// The vectors every SDK passes: Kafka's murmur2 test values and partitions
// computed from them.
func TestPartitionerVectors(t *testing.T) {
	raw, err := os.ReadFile("../testdata/murmur2_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Vectors []struct {
			Key  string `json:"key"`
			Hash int32  `json:"hash"`
		} `json:"vectors"`
		Partitions []struct {
			Key           string `json:"key"`
			NumPartitions int32  `json:"num_partitions"`
			Partition     int32  `json:"partition"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) == 0 || len(v.Partitions) == 0 {
		t.Fatalf("no vectors in the file: %s", raw)
	}
	for _, c := range v.Vectors {
		if got := sluice.Murmur2([]byte(c.Key)); got != c.Hash {
			t.Errorf("Murmur2(%q) = %d, want %d", c.Key, got, c.Hash)
		}
	}
	for _, c := range v.Partitions {
		if got := sluice.PartitionForKey([]byte(c.Key), c.NumPartitions); got != c.Partition {
			t.Errorf("PartitionForKey(%q, %d) = %d, want %d", c.Key, c.NumPartitions, got, c.Partition)
		}
	}
}
