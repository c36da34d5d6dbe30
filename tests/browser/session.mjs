// What every browser script starts with: its configuration (the JSON file
// named by its first argument; `shots` is the screenshots folder, made
// here), a list of failed checks, and Debian's headless Chromium in a fresh
// profile (French, Toronto time, 1280 px wide) that `finish` closes and
// removes.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function start() {
  const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
  mkdirSync(cfg.shots, { recursive: true });
  const failures = [];
  const check = (ok, what) => {
    if (!ok) failures.push(what);
    return ok;
  };
  const profile = mkdtempSync(join(tmpdir(), "babillard-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: cfg.chromium || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    timezoneId: "America/Toronto",
    locale: "fr-CA",
  });
  const finish = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { cfg, failures, check, context, finish };
}
