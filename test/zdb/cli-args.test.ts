/** `qss zdb` checks every numeric flag before starting: a typo is an error, never a silent 0. */
import { expect, test } from "bun:test";
import { runQss } from "../helpers/run.ts";

test.each([
  [["--port", "99999"], "--port: expected a whole number from 0 to 65535"],
  [["--datasize", "100K"], "--datasize: expected 512K … 4G"],
  [["--datasize", "5G"], "--datasize: expected 512K … 4G"],
  [["--synctime", "abc"], "--synctime: expected a whole number"],
  [["--rotate", "-3"], "--rotate: expected a whole number"],
  [["--maxsize", "lots"], '--maxsize: cannot parse size "lots"'],
])("qss zdb %p is refused", (flags, message) => {
  const result = runQss(["zdb", "--listen", "127.0.0.1", ...flags]);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain(message);
});
