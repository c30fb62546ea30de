/**
 * The checksum worker: BLAKE2b-128 of plaintext streams, so the one sequential step of encoding
 * runs on its own thread instead of the caller's event loop (protocol in hash-service.ts).
 * Requests are answered strictly in the order they arrive.
 */
import { type Blake2b128, createBlake2b128 } from "./blake2b-128.ts";
import type { HashReply, HashRequest } from "./hash-service.ts";

declare const self: Worker;

const streams = new Map<number, Blake2b128>();

function streamFor(stream: number): Blake2b128 {
  let hash = streams.get(stream);
  if (!hash) {
    hash = createBlake2b128();
    streams.set(stream, hash);
  }
  return hash;
}

const operations = {
  update(request: HashRequest): [HashReply, Transferable[]] {
    const bytes = request.bytes as Uint8Array;
    streamFor(request.stream).update(bytes);
    return [{ ok: true, bytes }, [bytes.buffer as ArrayBuffer]];
  },
  digest(request: HashRequest): [HashReply, Transferable[]] {
    const digest = streamFor(request.stream).digest();
    streams.delete(request.stream);
    return [{ ok: true, digest }, []];
  },
  drop(request: HashRequest): [HashReply, Transferable[]] {
    streams.delete(request.stream);
    return [{ ok: true }, []];
  },
} as const;

self.onmessage = (event: MessageEvent<HashRequest>) => {
  try {
    const operation = operations[event.data.op];
    if (!operation) throw new TypeError(`unknown operation ${String(event.data.op)}`);
    const [reply, transfer] = operation(event.data);
    self.postMessage(reply, transfer);
  } catch (error) {
    self.postMessage({ ok: false, message: (error as Error).message } satisfies HashReply);
  }
};
