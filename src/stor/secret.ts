/**
 * Key material that cannot leak by accident: printing, logging or JSON-encoding a SecretKey
 * shows "[secret]", never the bytes. Only `unsafeBytes()` reveals them, to crypto calls.
 */
const redacted = "[secret]";

export class SecretKey {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes.slice();
  }

  get byteLength(): number {
    return this.#bytes.length;
  }

  /** The key bytes, for a crypto primitive only: never log, store or send them. */
  unsafeBytes(): Uint8Array {
    return this.#bytes;
  }

  toString(): string {
    return redacted;
  }

  toJSON(): string {
    return redacted;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return redacted;
  }
}
