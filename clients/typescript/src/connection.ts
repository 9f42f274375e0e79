import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

/** The broker dialled when neither `address` nor SLUICE_BROKER says otherwise. */
export const DEFAULT_ADDRESS = "127.0.0.1:7070";

/** How a client reaches the broker. */
export interface ConnectionOptions {
  /**
   * A broker's `host:port` (plaintext gRPC), or a full `http://` / `https://` URL.
   * Defaults to the SLUICE_BROKER environment variable, then 127.0.0.1:7070.
   */
  address?: string;
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
    if (options.address !== undefined) {
      throw new TypeError("options: give either address or transport, not both");
    }
    return { transport: options.transport, close() {} };
  }
  const baseUrl = toBaseUrl(options.address ?? process.env["SLUICE_BROKER"] ?? DEFAULT_ADDRESS);
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager });
  return { transport, close: () => sessionManager.abort() };
}

function toBaseUrl(address: string): string {
  if (/^https?:\/\//.test(address)) {
    return address;
  }
  if (address === "" || address.includes("/")) {
    throw new TypeError(`address: expected host:port or an http(s) URL, got "${address}"`);
  }
  return `http://${address}`;
}
