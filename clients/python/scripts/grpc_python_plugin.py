"""A protoc plugin (CodeGeneratorRequest on stdin, CodeGeneratorResponse on
stdout) that runs grpcio-tools' bundled protoc with --grpc_python_out.

grpcio-tools has the gRPC Python generator compiled into its protoc and ships no
protoc-gen-grpc_python program, and buf's `protoc_builtin` accepts only protoc's
own generators. This adapter writes the request's descriptors to a descriptor
set, runs that protoc on it and returns the files it wrote.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        # The gRPC generator only names services and messages, so proto3
        # optional fields need nothing from it.
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = pathlib.Path(tmp, "descriptors.binpb")
        descriptors.write_bytes(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = pathlib.Path(tmp, "out")
        out.mkdir()
        target = f"{request.parameter}:{out}" if request.parameter else str(out)
        args = ["protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={target}"]
        if protoc.main([*args, *request.file_to_generate]) != 0:
            response.error = "grpc_tools.protoc --grpc_python_out failed (see stderr)"
        else:
            for path in sorted(p for p in out.rglob("*") if p.is_file()):
                generated = response.file.add()
                generated.name = path.relative_to(out).as_posix()
                generated.content = path.read_text(encoding="utf-8")
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
