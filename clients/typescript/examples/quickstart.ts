import { Admin, Consumer, Producer } from "@sluice/client";

const address = process.env.SLUICE_BROKER ?? "127.0.0.1:7070";
const admin = new Admin({ address });
await admin.createTopic({ name: "greetings", partitions: 3 });

const producer = new Producer({ address });
const sent = await Promise.all(
  ["alice", "bob", "carol"].map((name) => producer.send({ topic: "greetings", key: name, value: `hello ${name}`, headers: { lang: "en" } })),
);
console.log(sent.map((r) => `${r.partition}@${r.offset}`).join(" "));
await producer.close();

const consumer = new Consumer({ address });
for await (const rec of consumer.records({ topic: "greetings", from: "earliest" })) {
  console.log(`${rec.key}: ${rec.value} (partition ${rec.partition}, offset ${rec.offset})`);
}
consumer.close();
admin.close();
