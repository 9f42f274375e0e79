const encoder = new TextEncoder();

/** Bytes as the SDK accepts them: a string is encoded as UTF-8. */
export type Bytes = Uint8Array | string;

/** Returns the bytes of a string (UTF-8) or the array itself. */
export function toBytes(b: Bytes): Uint8Array {
  return typeof b === "string" ? encoder.encode(b) : b;
}
