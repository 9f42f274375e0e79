// TLS options and SCRAM credentials of every client, against fakeauth
// (clients/crosslang/fakeauth: an mTLS server holding SCRAM credentials for
// alice/alice-secret, whose certificate names only broker.sluice.test).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, test } from "node:test";
import { Admin, Code, ConnectError, Consumer, Producer, type ScramCredentials } from "@sluice/client";
import { startFakeAuth, type FakeAuth } from "./fakeauth.js";

const ALICE: ScramCredentials = { username: "alice", password: "alice-secret" };
const started: FakeAuth[] = [];
const fake = async (...flags: string[]) => {
  const f = await startFakeAuth(...flags);
  started.push(f);
  return f;
};

afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.stop()));
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
  }
  return out;
}

const code = (c: Code) => (err: unknown) => err instanceof ConnectError && err.code === c;

describe("TLS and SCRAM", () => {
  test("every client authenticates its unary and streaming calls over mTLS", async () => {
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: f.tls, auth: ALICE });
    assert.deepEqual((await admin.listTopics()).map((t) => t.name), ["alice"]);
    assert.equal((await admin.describeTopic("events")).name, "events");
    admin.close();
    const producer = new Producer({ address: f.address, tls: f.tls, auth: ALICE });
    const meta = await producer.send({ topic: "events", key: "k", value: "v" }); // DescribeTopic, then a Produce stream
    assert.deepEqual([meta.partition, meta.offset], [0, 0n]);
    await producer.close();
    const consumer = new Consumer({ address: f.address, tls: f.tls, auth: ALICE });
    assert.deepEqual(await collect(consumer.records({ topic: "events", partitions: [0] })), []); // fakeauth ends Fetch at once
    consumer.close();
    assert.deepEqual(await f.stats(), { exchanges: 3, rejected: 0, calls: 5 });
  });

  test("SCRAM-SHA-512 credentials", async () => {
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: f.tls, auth: { ...ALICE, mechanism: "SCRAM-SHA-512" } });
    assert.deepEqual((await admin.listTopics()).map((t) => t.name), ["alice"]);
    admin.close();
  });

  test("no credentials: UNAUTHENTICATED", async () => {
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: f.tls });
    await assert.rejects(admin.listTopics(), code(Code.Unauthenticated));
    admin.close();
  });

  test("a wrong password: UNAUTHENTICATED, and the password is not in the error", async () => {
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: f.tls, auth: { username: "alice", password: "not-alices-password" } });
    await assert.rejects(admin.listTopics(), (err: unknown) => code(Code.Unauthenticated)(err) && !String(err).includes("not-alices-password"));
    admin.close();
    assert.deepEqual(await f.stats(), { exchanges: 0, rejected: 0, calls: 0 });
  });

  test("a broker that cannot prove it holds the credentials is refused", async () => {
    const f = await fake("-forge-server-final");
    const admin = new Admin({ address: f.address, tls: f.tls, auth: ALICE });
    await assert.rejects(admin.listTopics(), (err: unknown) => code(Code.Unauthenticated)(err) && /server signature is wrong/.test(String(err)));
    admin.close();
    assert.deepEqual(await f.stats(), { exchanges: 1, rejected: 0, calls: 0 }); // a token was issued, never used
  });

  test("a refused token is replaced once and the unary call sent again", async () => {
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: f.tls, auth: ALICE });
    await admin.listTopics();
    await f.revoke();
    assert.deepEqual((await admin.listTopics()).map((t) => t.name), ["alice"]);
    admin.close();
    assert.deepEqual(await f.stats(), { exchanges: 2, rejected: 1, calls: 2 });
  });

  test("a refused stream fails and the next one authenticates again", async () => {
    const f = await fake();
    const consumer = new Consumer({ address: f.address, tls: f.tls, auth: ALICE });
    const read = () => collect(consumer.records({ topic: "events", partitions: [0] }));
    assert.deepEqual(await read(), []);
    await f.revoke();
    await assert.rejects(read(), code(Code.Unauthenticated));
    assert.deepEqual(await read(), []);
    consumer.close();
    assert.deepEqual(await f.stats(), { exchanges: 2, rejected: 1, calls: 2 });
  });

  test("the token is renewed before it expires", async () => {
    // Tokens live 3s; the client renews one a fifth of its lifetime before expiry.
    const f = await fake("-token-ttl", "3s");
    const admin = new Admin({ address: f.address, tls: f.tls, auth: ALICE });
    const deadline = Date.now() + 15_000;
    while ((await f.stats()).exchanges < 2) {
      assert.ok(Date.now() < deadline, "no second exchange within 15s");
      await admin.listTopics();
      await sleep(100);
    }
    admin.close();
    const st = await f.stats();
    assert.equal(st.exchanges, 2);
    assert.equal(st.rejected, 0);
  });

  test("mTLS needs the client certificate", async () => {
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: { caFile: f.ca, serverName: f.serverName }, auth: ALICE });
    // The handshake fails (TLS 1.3 reports it after the client's side of the handshake: Code.Internal).
    await assert.rejects(admin.listTopics({ timeoutMs: 5000 }), (err: unknown) => err instanceof ConnectError && /certificate required/.test(err.message));
    admin.close();
    assert.deepEqual(await f.stats(), { exchanges: 0, rejected: 0, calls: 0 });
  });

  test("the server name must match the certificate", async () => {
    // The certificate names broker.sluice.test, not 127.0.0.1.
    const f = await fake();
    const admin = new Admin({ address: f.address, tls: { caFile: f.ca, certFile: f.cert, keyFile: f.key }, auth: ALICE });
    await assert.rejects(admin.listTopics({ timeoutMs: 5000 }), (err: unknown) => err instanceof ConnectError && /does not match certificate's altnames/.test(err.message));
    admin.close();
    assert.deepEqual(await f.stats(), { exchanges: 0, rejected: 0, calls: 0 });
  });

  test("options are checked", () => {
    assert.throws(() => new Admin({ address: "127.0.0.1:1", tls: { certFile: "client.pem" } }), /both certFile and keyFile/);
    assert.throws(() => new Admin({ address: "127.0.0.1:1", tls: { caFile: "/nonexistent/ca.pem" } }), /cannot read/);
    assert.throws(() => new Admin({ address: "127.0.0.1:1", auth: { ...ALICE, mechanism: "SCRAM-MD5" as never } }), /mechanism/);
    assert.throws(() => new Admin({ address: "http://127.0.0.1:1", tls: {} }), /plaintext/);
  });
});
