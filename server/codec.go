package server

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	// Registers the standard proto codec this one wraps.
	_ "google.golang.org/grpc/encoding/proto"
)

// rawMessage is a message in protobuf wire form. The server codec passes it
// through untouched, so hot paths decode and encode messages themselves
// (package wire) while every other message takes the standard codec.
type rawMessage struct{ b []byte }

type rawCodec struct{ base encoding.CodecV2 }

func newRawCodec() (rawCodec, error) {
	base := encoding.GetCodecV2("proto")
	if base == nil {
		return rawCodec{}, fmt.Errorf("no proto codec registered")
	}
	return rawCodec{base: base}, nil
}

// Marshal copies a raw message into a pooled buffer that gRPC frees once sent,
// so the caller may reuse its own buffer as soon as SendMsg returns.
func (c rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(*rawMessage); ok {
		return mem.BufferSlice{mem.Copy(m.b, mem.DefaultBufferPool())}, nil
	}
	return c.base.Marshal(v)
}

// Unmarshal into a raw message takes a copy that the message owns.
func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(*rawMessage); ok {
		m.b = data.Materialize()
		return nil
	}
	return c.base.Unmarshal(data, v)
}

func (rawCodec) Name() string { return "proto" }
