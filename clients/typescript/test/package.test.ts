// `npm pack` makes a self-contained package: compiled code, types and the generated stubs.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { packageDir } from "./paths.js";

const run = promisify(execFile);

test("the packed tarball holds dist/ with types and works outside the repository", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-ts-pack-"));
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const { stdout } = await run(npm, ["pack", "--json", "--pack-destination", dir, "--loglevel=error"], { cwd: packageDir });
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path).sort();
    for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/proto.js", "dist/proto.d.ts", "dist/producer.d.ts", "dist/gen/sluice/v1/produce_pb.js", "dist/gen/sluice/v1/produce_pb.d.ts"]) {
      assert.ok(files.includes(f), `${f} is packed (got ${files.join(", ")})`);
    }
    assert.ok(!files.some((f) => f.startsWith("src/") || f.startsWith("test") || f.includes("internal")), "no sources, tests or internal protos");

    // Unpack it as an installed dependency, next to its own dependencies, and import it.
    const project = join(dir, "project");
    const installed = join(project, "node_modules", "@sluice", "client");
    mkdirSync(installed, { recursive: true });
    await run("tar", ["-xzf", join(dir, info!.filename), "-C", installed, "--strip-components=1"]);
    for (const scope of ["@bufbuild", "@connectrpc"]) {
      symlinkSync(join(packageDir, "node_modules", scope), join(project, "node_modules", scope));
    }
    const script = `
      const sdk = await import("@sluice/client");
      const proto = await import("@sluice/client/proto");
      console.log([typeof sdk.Producer, typeof sdk.Consumer, typeof sdk.Admin, sdk.murmur2("21"), typeof proto.ProduceService].join(" "));`;
    const out = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project });
    assert.equal(out.stdout.trim(), "function function function -973932308 object");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
