// SCRAM credentials and the bearer token every call then carries.
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { AuthService, ScramMechanism as WireMechanism } from "./gen/sluice/v1/auth_pb.js";
import { ScramClient, ScramError, type ScramMechanism } from "./scram.js";

/** SCRAM credentials of a broker user. The password never leaves the client. */
export interface ScramCredentials {
  username: string;
  password: string;
  /** Defaults to SCRAM-SHA-256. */
  mechanism?: ScramMechanism;
}

const AUTH_SERVICE = AuthService.typeName;
const WIRE: Record<ScramMechanism, WireMechanism> = {
  "SCRAM-SHA-256": WireMechanism.SHA_256,
  "SCRAM-SHA-512": WireMechanism.SHA_512,
};

/** Authenticate again a fifth of the token's lifetime, at most a minute, before it expires. */
function refreshAt(expireMs: number | undefined): number | undefined {
  if (expireMs === undefined) {
    return undefined;
  }
  const left = expireMs - Date.now();
  return performance.now() + left - Math.min(60_000, Math.max(left, 0) / 5);
}

/**
 * Holds a client's token: runs the SCRAM exchange over AuthService when there
 * is none or it nears its expiry, one exchange at a time.
 */
export class TokenSource {
  private readonly client: Client<typeof AuthService>;
  private readonly salted = new Map<string, Buffer>();
  private current: { token: string; refresh: number | undefined } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    transport: Transport,
    private readonly creds: ScramCredentials,
  ) {
    const mech = creds.mechanism ?? "SCRAM-SHA-256";
    if (WIRE[mech] === undefined) {
      throw new TypeError(`auth.mechanism: expected SCRAM-SHA-256 or SCRAM-SHA-512, got ${String(mech)}`);
    }
    if (!creds.username) {
      throw new TypeError("auth.username: must not be empty");
    }
    this.client = createClient(AuthService, transport);
  }

  token(signal?: AbortSignal): Promise<string> {
    const cur = this.current;
    if (cur !== undefined && (cur.refresh === undefined || performance.now() < cur.refresh)) {
      return Promise.resolve(cur.token);
    }
    if (this.pending === undefined) {
      this.pending = this.authenticate(signal).finally(() => {
        this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** Forgets `token` (refused by the broker) unless a newer one replaced it. */
  invalidate(token: string): void {
    if (this.current?.token === token) {
      this.current = undefined;
    }
  }

  private async authenticate(signal?: AbortSignal): Promise<string> {
    const mech = this.creds.mechanism ?? "SCRAM-SHA-256";
    try {
      const c = new ScramClient(this.creds.username, this.creds.password, mech, { salted: this.salted });
      const s1 = await this.client.startScram({ mechanism: WIRE[mech], clientFirstMessage: c.clientFirst() }, { signal });
      const s2 = await this.client.finishScram({ session: s1.session, clientFinalMessage: await c.clientFinal(s1.serverFirstMessage) }, { signal });
      c.verifyServerFinal(s2.serverFinalMessage);
      if (s2.token === "") {
        throw new ScramError("FinishScram: the broker sent no token");
      }
      const e = s2.expireTime;
      const expireMs = e && (e.seconds !== 0n || e.nanos !== 0) ? Number(e.seconds) * 1000 + e.nanos / 1e6 : undefined;
      this.current = { token: s2.token, refresh: refreshAt(expireMs) };
      return s2.token;
    } catch (err) {
      if (err instanceof ScramError) {
        throw new ConnectError(`SCRAM: ${err.message}`, Code.Unauthenticated);
      }
      const ce = ConnectError.from(err);
      throw new ConnectError(`SCRAM authentication: ${ce.rawMessage}`, ce.code, ce.metadata, undefined, ce);
    }
  }
}

/**
 * Adds `authorization: Bearer <token>` to every call but AuthService's. A
 * unary call refused with UNAUTHENTICATED is sent once more with a new token;
 * a stream refused so fails (it is not replayed), and the next call
 * authenticates first.
 */
export function authInterceptor(source: TokenSource): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === AUTH_SERVICE) {
      return next(req);
    }
    const token = await source.token(req.signal);
    req.header.set("authorization", `Bearer ${token}`);
    const refused = (err: unknown) => err instanceof ConnectError && err.code === Code.Unauthenticated;
    if (!req.stream) {
      try {
        return await next(req);
      } catch (err) {
        if (!refused(err)) {
          throw err;
        }
        source.invalidate(token);
        req.header.set("authorization", `Bearer ${await source.token(req.signal)}`);
        return next(req);
      }
    }
    let res;
    try {
      res = await next(req);
    } catch (err) {
      if (refused(err)) {
        source.invalidate(token);
      }
      throw err;
    }
    if (!res.stream) {
      return res;
    }
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (err) {
          if (refused(err)) {
            source.invalidate(token);
          }
          throw err;
        }
      })(),
    };
  };
}
