/** Strict parsing of numeric protocol arguments (the reference's atoll accepts garbage as 0). */

/** Digits only (no sign, space, exponent or fraction) and at most `max`; else null. */
export function parseUnsigned(text: string, max: number): number | null {
  if (!/^\d{1,20}$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) && value <= max ? value : null;
}
