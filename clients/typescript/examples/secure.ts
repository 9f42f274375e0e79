import { Admin, Producer, type ConnectionOptions } from "@sluice/client";

const env = process.env;
const options: ConnectionOptions = {
  address: env.SLUICE_BROKER ?? "127.0.0.1:7070",
  tls: {
    caFile: env.SLUICE_CA, // the broker's CA (PEM); absent trusts Node's default roots
    certFile: env.SLUICE_CERT, // for mTLS: this client's certificate...
    keyFile: env.SLUICE_KEY, // ...and its private key
    serverName: env.SLUICE_SERVER_NAME, // if the certificate does not name the host dialled
  },
  auth: { username: env.SLUICE_USER!, password: env.SLUICE_PASSWORD!, mechanism: "SCRAM-SHA-256" },
};

const producer = new Producer(options);
const sent = await producer.send({ topic: "events", key: "alice", value: "hello" });
console.log(`acked at ${sent.partition}@${sent.offset}`);
await producer.close();

const admin = new Admin(options);
console.log("topics:", (await admin.listTopics()).map((t) => t.name).join(" "));
admin.close();
