// The client side of SCRAM (RFC 5802, RFC 7677) on node:crypto: no channel
// binding ("n,,"), no authzid. SASLprep is ASCII-only: a user name or password
// outside printable ASCII is refused (SASLprep maps ASCII to itself, so for
// ASCII the result is the full algorithm's).
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

/** The SCRAM mechanisms the broker offers. */
export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

const HASHES: Record<ScramMechanism, { name: "sha256" | "sha512"; bytes: number }> = {
  "SCRAM-SHA-256": { name: "sha256", bytes: 32 },
  "SCRAM-SHA-512": { name: "sha512", bytes: 64 },
};

/** Fewer PBKDF2 iterations than RFC 7677's minimum make a stolen exchange cheap to brute-force. */
export const MIN_ITERATIONS = 4096;

/** The exchange cannot go on. The message never holds the password. */
export class ScramError extends Error {
  override readonly name = "ScramError";
}

/** SASLprep (RFC 4013) for ASCII text, which maps to itself; refuses control characters and anything else. */
export function saslprep(s: string, what: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e) {
      throw new ScramError(`${what}: only ASCII is supported (SASLprep of other text is not implemented)`);
    }
    if (c < 0x20) {
      throw new ScramError(`${what}: contains a control character, which SASLprep prohibits`);
    }
  }
  return s;
}

/** RFC 5802 saslname: "=" as "=3D", "," as "=2C". */
export function escapeUsername(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

function fields(message: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    if (part.length < 2 || part[1] !== "=") {
      throw new ScramError(`${what}: malformed attribute "${part.slice(0, 20)}"`);
    }
    if (!out.has(part[0]!)) {
      out.set(part[0]!, part.slice(2));
    }
  }
  return out;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64(s: string, what: string): Buffer {
  if (!BASE64.test(s)) {
    throw new ScramError(`${what} is not base64`);
  }
  return Buffer.from(s, "base64");
}

/**
 * One SCRAM conversation: clientFirst(), then clientFinal(serverFirst), then
 * verifyServerFinal(serverFinal). `salted` caches PBKDF2 results across
 * conversations of one credential (keyed by salt and iterations).
 */
export class ScramClient {
  private readonly hash: { name: "sha256" | "sha512"; bytes: number };
  private readonly password: string;
  private readonly bare: string;
  private readonly nonce: string;
  private readonly salted: Map<string, Buffer>;
  private serverSignature: Buffer | undefined;

  constructor(
    username: string,
    password: string,
    private readonly mechanism: ScramMechanism = "SCRAM-SHA-256",
    options: { nonce?: string; salted?: Map<string, Buffer> } = {},
  ) {
    const hash = HASHES[mechanism];
    if (hash === undefined) {
      throw new TypeError(`mechanism: expected SCRAM-SHA-256 or SCRAM-SHA-512, got ${String(mechanism)}`);
    }
    this.hash = hash;
    const user = saslprep(username, "username");
    if (user === "") {
      throw new TypeError("username: must not be empty");
    }
    this.password = saslprep(password, "password");
    this.nonce = options.nonce ?? randomBytes(24).toString("base64");
    this.salted = options.salted ?? new Map();
    this.bare = `n=${escapeUsername(user)},r=${this.nonce}`;
  }

  clientFirst(): string {
    return `n,,${this.bare}`;
  }

  async clientFinal(serverFirst: string): Promise<string> {
    const f = fields(serverFirst, "server-first message");
    if (f.has("m")) {
      throw new ScramError("server-first message: asks for an extension this client does not support");
    }
    const nonce = f.get("r");
    const saltB64 = f.get("s");
    const itersS = f.get("i");
    if (!nonce || saltB64 === undefined || itersS === undefined) {
      throw new ScramError("server-first message: needs r=, s= and i=");
    }
    if (!nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) {
      throw new ScramError("server-first message: the nonce does not extend the client's");
    }
    const salt = base64(saltB64, "server-first message: s=");
    if (!/^[0-9]+$/.test(itersS)) {
      throw new ScramError("server-first message: i= is not a number");
    }
    const iterations = Number(itersS);
    if (iterations < MIN_ITERATIONS) {
      throw new ScramError(`server-first message: ${iterations} iterations, fewer than the minimum ${MIN_ITERATIONS}`);
    }
    const cacheKey = `${this.mechanism}/${saltB64}/${iterations}`;
    let salted = this.salted.get(cacheKey);
    if (salted === undefined) {
      salted = await pbkdf2Async(Buffer.from(this.password, "utf8"), salt, iterations, this.hash.bytes, this.hash.name);
      this.salted.set(cacheKey, salted);
    }
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const hmac = (key: Buffer, data: string) => createHmac(this.hash.name, key).update(data).digest();
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash(this.hash.name).update(clientKey).digest();
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) {
      proof[i] = clientKey[i]! ^ signature[i]!;
    }
    this.serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
    return `${withoutProof},p=${proof.toString("base64")}`;
  }

  /** Throws ScramError unless the server proved it holds the credentials. */
  verifyServerFinal(serverFinal: string): void {
    if (this.serverSignature === undefined) {
      throw new ScramError("verifyServerFinal before clientFinal");
    }
    const f = fields(serverFinal, "server-final message");
    const e = f.get("e");
    if (e !== undefined) {
      throw new ScramError(`server-final message: the broker refused: ${e}`);
    }
    const got = base64(f.get("v") ?? "", "server-final message: v=");
    if (got.length !== this.serverSignature.length || !timingSafeEqual(got, this.serverSignature)) {
      throw new ScramError("server-final message: the server signature is wrong; the broker does not hold this user's credentials");
    }
  }
}
