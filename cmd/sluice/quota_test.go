package main

import (
	"testing"

	"github.com/sluice-io/sluice/server/servertest"
)

// TestQuotaCommands sets, merges, lists and deletes quotas on a broker.
func TestQuotaCommands(t *testing.T) {
	b := servertest.Start(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string
		err  string
	}{
		{
			name: "set user and client id",
			args: []string{"quota", "set", "--user", "alice", "--client-id", "app", "--produce-bytes-rate", "1048576", "--request-rate", "100"},
			out: "USER        CLIENT ID  PRODUCE B/S  FETCH B/S  REQUESTS/S\n" +
				"User:alice  app        1048576      -          100\n",
		},
		{
			name: "set keeps the other limits",
			args: []string{"quota", "set", "--user", "alice", "--client-id", "app", "--fetch-bytes-rate", "2097152"},
			out: "USER        CLIENT ID  PRODUCE B/S  FETCH B/S  REQUESTS/S\n" +
				"User:alice  app        1048576      2097152    100\n",
		},
		{
			name: "set a default",
			args: []string{"quota", "set", "--client-id-default", "--request-rate", "0.5"},
			out: "USER  CLIENT ID  PRODUCE B/S  FETCH B/S  REQUESTS/S\n" +
				"-     <default>  -            -          0.5\n",
		},
		{
			name: "list",
			args: []string{"quota", "list"},
			out: "USER        CLIENT ID  PRODUCE B/S  FETCH B/S  REQUESTS/S\n" +
				"-           <default>  -            -          0.5\n" +
				"User:alice  app        1048576      2097152    100\n",
		},
		{
			name: "delete one limit",
			args: []string{"quota", "delete", "--user", "alice", "--client-id", "app", "--rate", "request-rate"},
			out:  "deleted quota of user alice, client-id app\n",
		},
		{name: "delete all", args: []string{"quota", "delete", "--client-id-default"}, out: "deleted quota of client-id <default>\n"},
		{
			name: "list after deletes",
			args: []string{"quota", "list"},
			out: "USER        CLIENT ID  PRODUCE B/S  FETCH B/S  REQUESTS/S\n" +
				"User:alice  app        1048576      2097152    -\n",
		},
		{name: "delete unknown", args: []string{"quota", "delete", "--user", "bob"}, code: 1, err: "sluice: no quota is set for user=\"User:bob\"\n"},
		{name: "no entity", args: []string{"quota", "set", "--request-rate", "1"}, code: 1,
			err: "sluice: name the entity: --user, --user-default, --client-id or --client-id-default\n"},
		{name: "nothing to set", args: []string{"quota", "set", "--user", "a"}, code: 1,
			err: "sluice: nothing to set: give --produce-bytes-rate, --fetch-bytes-rate or --request-rate\n"},
		{name: "name and default", args: []string{"quota", "set", "--user", "a", "--user-default", "--request-rate", "1"}, code: 1,
			err: "sluice: give --user or --user-default, not both\n"},
		{name: "zero rate", args: []string{"quota", "set", "--user", "a", "--produce-bytes-rate", "0"}, code: 1,
			err: "sluice: values.produce_bytes_rate: must be positive bytes per second (got 0); DeleteQuota removes a limit\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, nil, append([]string{"--broker", b.Addr}, tt.args...)...)
			if res.code != tt.code || res.stdout != tt.out || res.stderr != tt.err {
				t.Errorf("got code %d\nstdout:\n%s\nstderr: %q\nwant code %d\nstdout:\n%s\nstderr: %q",
					res.code, res.stdout, res.stderr, tt.code, tt.out, tt.err)
			}
		})
	}
}
