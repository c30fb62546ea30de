/**
 * Parsing of command-line values shared by the commands, validated with valibot so every bad
 * value gets the same kind of message: "<flag>: cannot parse …".
 */
import * as v from "valibot";
import { qssError } from "../base/errors.ts";

const sizeUnits: Record<string, number> = {
  "": 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
};
const sizeSchema = v.pipe(v.string(), v.trim(), v.regex(/^\d+(\.\d+)?\s*([kmgtp]i?b?)?$/i));

/** Sizes like 524288, 512K, 256M, 10G, 1.5T, 2GiB (binary units). */
export function parseSizeBytes(text: string, flag: string): number {
  const checked = v.safeParse(sizeSchema, text);
  if (!checked.success)
    throw qssError("USAGE", `${flag}: cannot parse size "${text}" (examples: 512K, 256M, 10G)`);
  const match = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)/i.exec(checked.output) as RegExpExecArray;
  const bytes = Math.floor(Number(match[1]) * (sizeUnits[(match[2] ?? "").toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw qssError("USAGE", `${flag}: size "${text}" is too large`);
  return bytes;
}

/** A whole number within [min, max]. */
export function parseInteger(text: string, flag: string, min: number, max: number): number {
  const schema = v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^-?\d+$/),
    v.transform(Number),
    v.minValue(min),
    v.maxValue(max),
  );
  const checked = v.safeParse(schema, text);
  if (!checked.success)
    throw qssError(
      "USAGE",
      `${flag}: expected a whole number from ${min} to ${max}, got "${text}"`,
    );
  return checked.output;
}
