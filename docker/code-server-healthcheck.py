"""Healthy once the code server has loaded the definitions, not merely started.

The server keeps answering gRPC (and passes `dagster api grpc-health-check`) when the code fails
to import, so this asks it to list its repositories: the answer is a load error until the
definitions have loaded, and its text is printed for `docker inspect` to show. grpcio only, no
Dagster import: a fraction of a second per check.
"""

import sys

import grpc

call = grpc.insecure_channel("127.0.0.1:4000").unary_unary(
    "/api.DagsterApi/ListRepositories", request_serializer=bytes, response_deserializer=bytes
)
reply = call(b"", timeout=8)
if b'"ListRepositoriesResponse"' not in reply:
    sys.exit(reply[:2000].decode(errors="replace"))
