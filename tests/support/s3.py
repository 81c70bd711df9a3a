"""A real S3 API on loopback for tests: moto in server mode, on a free port, with a bucket made for the test.

The code under test finds it the way it would find any S3-compatible store: through the standard
AWS variables, AWS_ENDPOINT_URL included (botocore, and so s3fs and dagster-aws, honour it).
"""

import contextlib
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import s3fs
from moto.server import ThreadedMotoServer


@dataclass(frozen=True)
class LocalS3:
    endpoint_url: str
    bucket: str
    env: dict[str, str]

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_DEFAULT_REGION"],
        )

    def keys(self, prefix: str = "") -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()


@contextlib.contextmanager
def local_s3() -> Iterator[LocalS3]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # fsspec keeps one filesystem per set of arguments: one made for an earlier server would be reused.
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        endpoint_url = f"http://127.0.0.1:{port}"
        env = {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "test-key",
            "AWS_SECRET_ACCESS_KEY": "test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        s3 = LocalS3(endpoint_url, f"bookshop-test-{uuid.uuid4().hex[:8]}", env)
        s3.client().create_bucket(Bucket=s3.bucket)
        yield s3
    finally:
        server.stop()
