import os

import sluice

broker = os.environ.get("SLUICE_BROKER", "127.0.0.1:7070")

with sluice.Admin(broker) as admin:
    admin.create_topic("greetings", partitions=3)

with sluice.Producer(broker) as producer:
    for name in ["alice", "bob", "carol"]:
        future = producer.send("greetings", f"hello {name}", key=name, headers={"lang": "en"})
        future.add_done_callback(lambda f: print("acked at", f.result().partition, f.result().offset))
# Leaving the block flushed the producer: every record above is acknowledged.

with sluice.Consumer(broker, "greetings") as consumer:  # every partition, from the earliest offset
    for record in consumer:
        print(record.partition, record.offset, record.key, record.value, record.headers)
