package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// splitKeyValue splits a "k=v" flag value at the first "=", so values may
// themselves contain "=". The key must not be empty; the value may be.
func splitKeyValue(flag, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("invalid --%s %q: want key=value", flag, s)
	}
	return k, v, nil
}

// parseConfigs turns repeated --config k=v flags into a topic config map.
// Setting one key twice is refused rather than silently keeping the last.
func parseConfigs(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	configs := make(map[string]string, len(values))
	for _, s := range values {
		k, v, err := splitKeyValue("config", s)
		if err != nil {
			return nil, err
		}
		if _, dup := configs[k]; dup {
			return nil, fmt.Errorf("--config %s given twice", k)
		}
		configs[k] = v
	}
	return configs, nil
}

// parseHeaders turns repeated --header k=v flags into record headers. Order is
// kept and keys may repeat, as the record model allows.
func parseHeaders(values []string) ([]*sluicev1.Header, error) {
	var headers []*sluicev1.Header
	for _, s := range values {
		k, v, err := splitKeyValue("header", s)
		if err != nil {
			return nil, err
		}
		headers = append(headers, &sluicev1.Header{Key: k, Value: []byte(v)})
	}
	return headers, nil
}

// parseAcks maps the --acks flag to the protocol enum.
func parseAcks(s string) (sluicev1.Acks, error) {
	switch s {
	case "all":
		return sluicev1.Acks_ACKS_ALL, nil
	case "leader":
		return sluicev1.Acks_ACKS_LEADER, nil
	case "none":
		return sluicev1.Acks_ACKS_NONE, nil
	}
	return 0, fmt.Errorf("invalid --acks %q: want all, leader or none", s)
}

// parseFrom maps the --from flag to a start position: "earliest", "latest", an
// offset, or an RFC 3339 time (the first record at or after it).
func parseFrom(s string) (*sluicev1.StartPosition, error) {
	switch s {
	case "earliest":
		return boundaryStart(sluicev1.Boundary_BOUNDARY_EARLIEST), nil
	case "latest":
		return boundaryStart(sluicev1.Boundary_BOUNDARY_LATEST), nil
	}
	if off, err := strconv.ParseInt(s, 10, 64); err == nil {
		if off < 0 {
			return nil, fmt.Errorf("invalid --from %q: offsets start at 0", s)
		}
		return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: off}}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &sluicev1.StartPosition{
			Position: &sluicev1.StartPosition_TimestampMs{TimestampMs: t.UnixMilli()},
		}, nil
	}
	return nil, fmt.Errorf("invalid --from %q: want earliest, latest, an offset or an RFC 3339 time", s)
}

func boundaryStart(b sluicev1.Boundary) *sluicev1.StartPosition {
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Boundary{Boundary: b}}
}
