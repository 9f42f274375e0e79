// Starts the real broker binary on 127.0.0.1 for integration tests.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface Broker {
  /** host:port the broker listens on. */
  address: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/** Starts `$SLUICE_BIN serve` on a free loopback port and waits for its "serving" log line. */
export async function startBroker(): Promise<Broker> {
  const bin = process.env["SLUICE_BIN"];
  if (!bin) {
    throw new Error("SLUICE_BIN must name the sluice binary (make test sets it)");
  }
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-ts-"));
  const child = spawn(bin, ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stop = async (): Promise<void> => {
    await kill(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const address = await readyAddress(child);
    return { address, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function readyAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const log: string[] = [];
    const timer = setTimeout(() => reject(new Error(`broker not ready after ${READY_TIMEOUT_MS} ms:\n${log.join("\n")}`)), READY_TIMEOUT_MS);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before it was ready:\n${log.join("\n")}`));
    });
    createInterface({ input: child.stderr! }).on("line", (line) => {
      if (log.length < 200) {
        log.push(line);
      }
      const addr = /msg="sluice broker serving".*\baddr=(127\.0\.0\.1:\d+)/.exec(line)?.[1];
      if (addr) {
        clearTimeout(timer);
        resolve(addr);
      }
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
