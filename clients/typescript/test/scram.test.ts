// The SCRAM client replays the shared vectors (clients/testdata/scram_vectors.json:
// RFC 7677's SCRAM-SHA-256 example, a SCRAM-SHA-512 one and an escaped user name,
// each checked against xdg-go/scram) and refuses dishonest server messages.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { escapeUsername, saslprep, ScramClient, ScramError, type ScramMechanism } from "../src/scram.js";
import { testdataDir } from "./paths.js";

interface Vector {
  source: string;
  mechanism: ScramMechanism;
  username: string;
  password: string;
  client_nonce: string;
  client_first: string;
  server_first: string;
  client_final: string;
  server_final: string;
}

const vectors: Vector[] = JSON.parse(readFileSync(join(testdataDir, "scram_vectors.json"), "utf8")).vectors;
const client = (v: Vector) => new ScramClient(v.username, v.password, v.mechanism, { nonce: v.client_nonce });

describe("SCRAM client", () => {
  test("the vectors include RFC 7677's and a SHA-512 one", () => {
    const rfc = vectors.find((v) => v.source === "RFC 7677 section 3")!;
    assert.equal(rfc.server_final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    assert.ok(rfc.client_final.endsWith(",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
    assert.ok(vectors.some((v) => v.mechanism === "SCRAM-SHA-512"));
  });

  for (const v of vectors) {
    test(`sends the vector's messages and accepts its server-final: ${v.mechanism} ${v.username}`, async () => {
      const c = client(v);
      assert.equal(c.clientFirst(), v.client_first);
      assert.equal(await c.clientFinal(v.server_first), v.client_final);
      c.verifyServerFinal(v.server_final);
    });

    test(`refuses a server signature that does not match: ${v.mechanism} ${v.username}`, async () => {
      const c = client(v);
      await c.clientFinal(v.server_first);
      const sig = v.server_final;
      const forged = sig.slice(0, 3) + (sig[3] === "A" ? "B" : "A") + sig.slice(4);
      assert.throws(() => c.verifyServerFinal(forged), /server signature is wrong/);
      assert.throws(() => c.verifyServerFinal("e=invalid-proof"), /refused: invalid-proof/);
    });
  }

  test("a wrong password gives a different proof", async () => {
    const v = vectors[0]!;
    const c = new ScramClient(v.username, "pencil2", v.mechanism, { nonce: v.client_nonce });
    assert.notEqual(await c.clientFinal(v.server_first), v.client_final);
  });

  test("user names escape = and ,", () => {
    assert.equal(escapeUsername("a=b,c"), "a=3Db=2Cc");
    assert.equal(new ScramClient("a=b,c", "x", "SCRAM-SHA-256", { nonce: "n0" }).clientFirst(), "n,,n=a=3Db=2Cc,r=n0");
  });

  test("server-first must extend the nonce and iterate enough", async () => {
    const v = vectors[0]!;
    const salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    const cases: [string, RegExp][] = [
      [`r=someone-elses-nonce,s=${salt},i=4096`, /does not extend/],
      [`r=${v.client_nonce},s=${salt},i=4096`, /does not extend/],
      [`r=${v.client_nonce}x,s=${salt},i=1024`, /fewer than the minimum 4096/],
      [`r=${v.client_nonce}x,s=${salt}`, /needs r=, s= and i=/],
      [`m=ext,r=${v.client_nonce}x,s=${salt},i=4096`, /extension/],
      [`r=${v.client_nonce}x,s=!!,i=4096`, /not base64/],
    ];
    for (const [serverFirst, error] of cases) {
      await assert.rejects(client(v).clientFinal(serverFirst), (err: unknown) => err instanceof ScramError && error.test(err.message));
    }
  });

  test("SASLprep is ASCII-only, refuses control characters, and errors never show the password", () => {
    assert.equal(saslprep("user", "x"), "user");
    assert.throws(() => saslprep("\u00aa", "username"), /only ASCII/);
    assert.throws(() => new ScramClient("alice", "s3cret\u0007"), (err: unknown) => err instanceof ScramError && /control character/.test(err.message) && !err.message.includes("s3cret"));
  });
});
