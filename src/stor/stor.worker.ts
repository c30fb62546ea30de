/**
 * Pool worker for the stripe pipeline: receives `{ id, payload: { op, job } }`, runs the stripe
 * codec synchronously and answers with transferred result buffers (protocol in pool.ts).
 */
import { isQssError } from "../base/errors.ts";
import {
  type DecodeStripeJob,
  decodeStripe,
  type EncodeStripeJob,
  encodeStripe,
} from "./stripe-codec.ts";

type Request =
  | { op: "encodeStripe"; job: EncodeStripeJob }
  | { op: "decodeStripe"; job: DecodeStripeJob };

const operations = {
  encodeStripe(job: EncodeStripeJob) {
    const result = encodeStripe(job);
    const transfer = [result.buffer.buffer as ArrayBuffer];
    if (result.plaintext.buffer !== result.buffer.buffer) {
      transfer.push(result.plaintext.buffer as ArrayBuffer);
    }
    return { result, transfer };
  },
  decodeStripe(job: DecodeStripeJob) {
    const result = decodeStripe(job);
    return { result, transfer: result.plaintext ? [result.plaintext.buffer as ArrayBuffer] : [] };
  },
} as const;

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ id: number; payload: Request }>) => {
  const { id, payload } = event.data;
  try {
    const operation = operations[payload.op] as (job: unknown) => {
      result: unknown;
      transfer: ArrayBuffer[];
    };
    if (!operation) throw new TypeError(`unknown operation ${String(payload.op)}`);
    const { result, transfer } = operation(payload.job);
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (error) {
    const code = isQssError(error) ? error.code : "IO";
    self.postMessage({ id, ok: false, code, message: (error as Error).message });
  }
};
