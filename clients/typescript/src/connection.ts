import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { readFileSync } from "node:fs";
import { authInterceptor, TokenSource, type ScramCredentials } from "./auth.js";

/** The broker dialled when neither `address` nor SLUICE_BROKER says otherwise. */
export const DEFAULT_ADDRESS = "127.0.0.1:7070";

/** TLS to the broker. Files are PEM. */
export interface TlsOptions {
  /** CA certificates the broker's certificate must chain to; absent means Node's default roots. */
  caFile?: string;
  /** For mTLS: this client's certificate (give keyFile too). */
  certFile?: string;
  /** For mTLS: the certificate's private key. */
  keyFile?: string;
  /** The name the broker's certificate must carry when it is not the host dialled (an IP address, a tunnel). */
  serverName?: string;
}

/** How a client reaches the broker. */
export interface ConnectionOptions {
  /**
   * A broker's `host:port` (plaintext gRPC, or TLS when `tls` is set), or a full
   * `http://` / `https://` URL. Defaults to the SLUICE_BROKER environment
   * variable, then 127.0.0.1:7070.
   */
  address?: string;
  /** Dial over TLS (mTLS with certFile and keyFile). */
  tls?: TlsOptions;
  /**
   * SCRAM credentials: the client authenticates over AuthService before its
   * first call and sends the token it gets on every call.
   */
  auth?: ScramCredentials;
  /**
   * A ready-made Connect transport (for example one from createGrpcTransport with
   * TLS or interceptors). It must speak gRPC. The client does not close it.
   */
  transport?: Transport;
}

/** A transport and the means to close the HTTP/2 connection behind it. */
export interface Connection {
  readonly transport: Transport;
  /** Closes the connection if this client opened it; a given transport is left open. */
  close(): void;
}

/** Opens the HTTP/2 gRPC connection a client uses. */
export function connect(options: ConnectionOptions = {}): Connection {
  if (options.transport) {
    if (options.address !== undefined || options.tls !== undefined || options.auth !== undefined) {
      throw new TypeError("options: give either transport, or address with tls and auth, not both");
    }
    return { transport: options.transport, close() {} };
  }
  const tls = options.tls;
  const baseUrl = toBaseUrl(options.address ?? process.env["SLUICE_BROKER"] ?? DEFAULT_ADDRESS, tls !== undefined);
  const sessionManager = new Http2SessionManager(baseUrl, undefined, tls ? secureOptions(tls) : undefined);
  const plain = createGrpcTransport({ baseUrl, sessionManager });
  if (options.auth === undefined) {
    return { transport: plain, close: () => sessionManager.abort() };
  }
  // AuthService goes through the plain transport; every other call carries the token.
  const source = new TokenSource(plain, options.auth);
  const transport = createGrpcTransport({ baseUrl, sessionManager, interceptors: [authInterceptor(source)] });
  return { transport, close: () => sessionManager.abort() };
}

function secureOptions(tls: TlsOptions) {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new TypeError("tls: give both certFile and keyFile (mTLS), or neither");
  }
  const read = (path: string | undefined, what: string) => {
    if (path === undefined) {
      return undefined;
    }
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TypeError(`tls.${what}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  return {
    ca: read(tls.caFile, "caFile"),
    cert: read(tls.certFile, "certFile"),
    key: read(tls.keyFile, "keyFile"),
    servername: tls.serverName,
  };
}

function toBaseUrl(address: string, tls: boolean): string {
  if (/^https?:\/\//.test(address)) {
    if (tls && address.startsWith("http://")) {
      throw new TypeError(`address: ${address} is plaintext http://, but tls is set`);
    }
    return address;
  }
  if (address === "" || address.includes("/")) {
    throw new TypeError(`address: expected host:port or an http(s) URL, got "${address}"`);
  }
  return `${tls ? "https" : "http"}://${address}`;
}
