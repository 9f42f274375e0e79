import { Code, ConnectError } from "@connectrpc/connect";
import type { Error as WireError } from "./gen/sluice/v1/record_pb.js";

/**
 * A produce that failed. `code` is the gRPC status code the broker gave (for
 * example Code.NotFound for an unknown topic, Code.InvalidArgument for a bad
 * record), or the code of the stream failure (Code.Unavailable when the
 * connection broke: then whether the records were stored is unknown).
 */
export class ProduceError extends ConnectError {
  // name stays "ConnectError": ConnectError's instanceof check relies on it, so
  // that `err instanceof ConnectError` holds for a ProduceError too.
  /** True when the same records may be stored if sent again (leader change, overload). */
  readonly retryable: boolean;
  readonly topic: string;
  readonly partition: number;

  constructor(message: string, code: Code, topic: string, partition: number, retryable: boolean, cause?: unknown) {
    super(message, code, undefined, undefined, cause);
    this.topic = topic;
    this.partition = partition;
    this.retryable = retryable;
  }

  /** An ordinary prototype check (ConnectError's own check accepts any ConnectError). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === "object" && v !== null && Object.prototype.isPrototypeOf.call(this.prototype, v);
  }

  /** Converts an Error of a ProduceResponse. */
  static fromWire(err: WireError, topic: string, partition: number): ProduceError {
    return new ProduceError(err.message, toCode(err.code), topic, partition, err.retryable);
  }

  /** Wraps the failure of the stream a request was sent on. */
  static fromStream(reason: unknown, topic: string, partition: number): ProduceError {
    const err = ConnectError.from(reason);
    const retryable = err.code === Code.Unavailable || err.code === Code.ResourceExhausted;
    return new ProduceError(err.rawMessage, err.code, topic, partition, retryable, err);
  }
}

/** The Connect code of a gRPC status code number (they are the same numbers). */
export function toCode(n: number): Code {
  return n in Code && n !== 0 ? (n as Code) : Code.Unknown;
}
