import os

import sluice

broker = os.environ.get("SLUICE_BROKER", "127.0.0.1:7070")

tls = sluice.TLS(
    ca_file=os.environ.get("SLUICE_CA"),  # the broker's CA (PEM); None trusts the system's roots
    cert_file=os.environ.get("SLUICE_CERT"),  # for mTLS: this client's certificate...
    key_file=os.environ.get("SLUICE_KEY"),  # ...and its private key
    server_name=os.environ.get("SLUICE_SERVER_NAME"),  # if the certificate does not name the host dialed
)
auth = sluice.Scram(os.environ["SLUICE_USER"], os.environ["SLUICE_PASSWORD"], mechanism="SCRAM-SHA-256")

with sluice.Producer(broker, tls=tls, auth=auth) as producer:
    meta = producer.send("events", b"hello", key=b"alice").result(timeout=30)
    print("acked at", meta.partition, meta.offset)

with sluice.Admin(broker, tls=tls, auth=auth) as admin:
    print("topics:", [topic.name for topic in admin.list_topics()])
