// What the browser tests share: the real programs (budgetsync-server and
// budgetsync, paths from CTest's environment) in a fresh folder, and Debian's
// Chromium driven by playwright-core. Every wait is for a condition with a
// deadline, never a fixed sleep.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through ctest`);
  return v;
};
export const CLI = env("BUDGETSYNC_CLI");
export const SERVER = env("BUDGETSYNC_SERVER");
export const DATA = env("BUDGETSYNC_DATA");
export const SHOTS = env("BUDGETSYNC_SCREENSHOTS");
const CHROMIUM = process.env.BUDGETSYNC_CHROMIUM || "/usr/bin/chromium";

export const seed = (folder, file) => path.join(DATA, "seeds", folder, file);
export const NEIXIANG = "003_b1779cbacafc7ee6";

// Polls `probe` until it returns something truthy, or fails naming `what`.
export async function until(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A long-running program whose standard output is read line by line.
class Background {
  constructor(program, args, options = {}) {
    this.label = `${path.basename(program)} ${args.join(" ")}`;
    this.output = "";
    this.child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"], ...options });
    this.child.stdout.on("data", (d) => (this.output += d));
    this.errors = "";
    this.child.stderr.on("data", (d) => (this.errors += d));
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }
  async line(pattern, what) {
    return until(what, () => {
      const m = this.output.match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`exited before ${what}: ${this.errors}`);
      return null;
    });
  }
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }
}

export class Workspace {
  constructor(name) {
    this.dir = mkdtempSync(path.join(tmpdir(), `budgetsync-ui-${name}-`));
    this.running = [];
    this.browser = null;
    this.pageErrors = [];
    this.name = name;
    mkdirSync(SHOTS, { recursive: true });
  }

  // Runs a program to its end; fails the test when it exits with another code.
  run(program, args, { input, env: extra, expect = 0 } = {}) {
    const r = spawnSync(program, args, { input, encoding: "utf8", env: { ...process.env, ...extra } });
    if (r.status !== expect)
      throw new Error(`${path.basename(program)} ${args.join(" ")} exited ${r.status}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }
  cli(client, args, options) {
    return this.run(CLI, ["--dir", path.join(this.dir, client), ...args], options);
  }
  cliJson(client, args) {
    return JSON.parse(this.cli(client, ["--json", ...args]));
  }

  // A server with the given units and users ({name, role, unit, password}).
  async startServer(units, users) {
    this.data = path.join(this.dir, "server");
    this.run(SERVER, ["--data", this.data, "init"]);
    for (const [code, name, parent] of units)
      this.run(SERVER, ["--data", this.data, "unit", "add", code, name, ...(parent ? ["--parent", parent] : [])]);
    for (const u of users)
      this.run(SERVER, ["--data", this.data, "user", "add", u.name, "--role", u.role, "--unit", u.unit], { input: u.password + "\n" });
    await this.runServer("127.0.0.1:0");
  }
  async runServer(listen) {
    this.server = new Background(SERVER, ["--data", this.data, "run", "--listen", listen, "--forms", DATA]);
    this.running.push(this.server);
    const m = await this.server.line(/listening on (https:\/\/[^\s]+)/, "the server to listen");
    this.serverUrl = m[1];
  }
  async stopServer() {
    await this.server.stop();
  }
  // The same data and port again.
  async restartServer() {
    await this.runServer(this.serverUrl.replace("https://", ""));
  }

  client(name, { unit, unitName, user, imports = [], password } = {}) {
    this.cli(name, ["init", "--unit", unit, "--name", unitName, "--user", user]);
    if (imports.length) this.cli(name, ["import", ...imports]);
    if (password) {
      this.cli(name, ["login", "--server", this.serverUrl, "--ca", path.join(this.data, "tls", "ca.pem"), "--user", user],
        { env: { BUDGETSYNC_PASSWORD: password } });
    }
  }

  // `budgetsync ui` for a client; returns the address it printed.
  async startUi(client) {
    const ui = new Background(CLI, ["--dir", path.join(this.dir, client), "ui", "--port", "0"]);
    this.running.push(ui);
    const m = await ui.line(/(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/, `${client}'s UI to start`);
    return m[1];
  }

  // A new browser page opened at a UI's start address.
  async open(url) {
    if (!this.browser) {
      this.browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    }
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: "zh-CN", acceptDownloads: true });
    const page = await context.newPage();
    // An error in the page fails the test when the workspace closes, named.
    page.on("pageerror", (e) => this.pageErrors.push(`${this.name}: ${e.message}`));
    await page.goto(url);
    await page.waitForSelector("#reports a");
    return page;
  }

  // A new browser page with nothing open, for pages the test loads itself.
  async openBlank() {
    if (!this.browser) {
      this.browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    }
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: "zh-CN" });
    const page = await context.newPage();
    page.on("pageerror", (e) => this.pageErrors.push(`${this.name}: ${e.message}`));
    return page;
  }

  get shots() {
    return SHOTS;
  }

  async shot(page, name) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
  }

  // Runs a scenario in this workspace; when it fails, what the programs said
  // on standard error is printed with the failure, then the workspace closes.
  async scenario(body) {
    try {
      await body();
    } catch (e) {
      for (const p of this.running) console.error(`--- ${p.label}\n${p.errors}`);
      throw e;
    } finally {
      await this.close();
    }
  }

  async close() {
    if (this.browser) await this.browser.close();
    for (const p of this.running.reverse()) await p.stop();
    if (!process.env.BUDGETSYNC_KEEP) rmSync(this.dir, { recursive: true, force: true });
    if (this.pageErrors.length) throw new Error(`the page failed: ${this.pageErrors.join("; ")}`);
  }
}

// The input of one cell of the open report.
export const cell = (page, row, column) => page.locator(`input[data-row="${row}"][data-column="${column}"]`);
export const cellBox = (page, row, column) => page.locator(`td[data-cell="${row}:${column}"]`);

// Types a value into a cell and leaves it, which saves it.
export async function typeInto(page, row, column, value) {
  const input = cell(page, row, column);
  await input.fill(value);
  const saved = page.waitForResponse((r) => r.url().endsWith("/api/cell") && r.request().method() === "POST");
  await input.press("Tab");
  return saved;
}

export async function openReport(page, key) {
  await page.click(`#reports a[data-report="${key}"]`);
  await page.waitForSelector(`input[data-row]`);
  await until(`report ${key} to open`, async () => (await page.locator("h2").first().textContent()) !== "" &&
    (await page.evaluate((k) => document.querySelector("#reports a.current")?.dataset.report === k, key)));
}

// The pending-edit count the header shows (NaN before the first status).
export const pendingCount = async (page) => {
  const n = await page.locator("#pending").getAttribute("data-count");
  return n === null ? NaN : Number(n);
};

export const WANG = { name: "财务-王会计", role: "staff", unit: "411325-ybj", password: "pw-wang-1234" };
export const LI = { name: "财务-李会计", role: "staff", unit: "411325-ybj", password: "pw-li-1234" };

// A server with 内乡县 and its two staff, 王会计's replica (logged in) holding
// `imports`, and 李会计's device set up and logged in but empty.
export async function twoStaffOfNeixiang(w, imports) {
  await w.startServer([["411325-ybj", "内乡县医疗保障局"]], [WANG, LI]);
  w.client("wang", { unit: "411325-ybj", unitName: "内乡县医疗保障局", user: WANG.name, imports, password: WANG.password });
  w.client("li", { unit: "411325-ybj", unitName: "内乡县医疗保障局", user: LI.name, password: LI.password });
}
