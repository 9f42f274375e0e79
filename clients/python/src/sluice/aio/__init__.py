"""asyncio flavour of the Sluice client, on grpc.aio::

async with sluice.aio.Producer("127.0.0.1:7070") as producer:
    meta = await producer.send_and_wait("orders", b"paid", key=b"alice")

async for record in sluice.aio.Consumer("127.0.0.1:7070", "orders"):
    ...
"""

from sluice.aio._admin import Admin
from sluice.aio._consumer import Consumer
from sluice.aio._producer import Producer

__all__ = ["Admin", "Consumer", "Producer"]
