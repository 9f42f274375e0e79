// Starts clients/crosslang/fakeauth ($FAKEAUTH_BIN): an mTLS AuthService
// stand-in holding SCRAM credentials for alice/alice-secret, whose certificate
// names only broker.sluice.test. stats() and revoke() talk to it on stdin.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { TlsOptions } from "@sluice/client";

export interface Stats {
  exchanges: number;
  rejected: number;
  calls: number;
}

export interface FakeAuth {
  address: string;
  serverName: string;
  ca: string;
  cert: string;
  key: string;
  /** CA, client certificate and server name: everything needed to dial it. */
  tls: TlsOptions;
  stats(): Promise<Stats>;
  revoke(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFakeAuth(...flags: string[]): Promise<FakeAuth> {
  const bin = process.env["FAKEAUTH_BIN"];
  if (!bin) {
    throw new Error("FAKEAUTH_BIN must name the fakeauth binary (make test builds it and sets it)");
  }
  const dir = mkdtempSync(join(tmpdir(), "sluice-fakeauth-"));
  const child = spawn(bin, ["-dir", dir, ...flags], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  const rl = createInterface({ input: child.stdout! });
  rl.on("line", (line) => {
    const w = waiters.shift();
    if (w) {
      w(line);
    } else {
      lines.push(line);
    }
  });
  rl.on("close", () => {
    for (const w of waiters.splice(0)) {
      w(undefined);
    }
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) {
        resolve(l);
        return;
      }
      waiters.push((line) => (line === undefined ? reject(new Error("fakeauth exited")) : resolve(line)));
    });
  const stop = async () => {
    await exit(child);
    rmSync(dir, { recursive: true, force: true });
  };
  let ready: { address: string; server_name: string; ca: string; client_cert: string; client_key: string };
  try {
    ready = JSON.parse(await nextLine());
  } catch (err) {
    await stop();
    throw err;
  }
  const ask = async (cmd: string) => {
    child.stdin!.write(`${cmd}\n`);
    return JSON.parse(await nextLine());
  };
  return {
    address: ready.address,
    serverName: ready.server_name,
    ca: ready.ca,
    cert: ready.client_cert,
    key: ready.client_key,
    tls: { caFile: ready.ca, certFile: ready.client_cert, keyFile: ready.client_key, serverName: ready.server_name },
    stats: () => ask("stats") as Promise<Stats>,
    revoke: async () => {
      await ask("revoke");
    },
    stop,
  };
}

/** Closes fakeauth's stdin (it exits then) and waits for it. */
async function exit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdin!.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
