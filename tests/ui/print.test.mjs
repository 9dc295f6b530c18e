// The printed forms: each 公开 table, a budget table and a self-evaluation table
// exported as the printable page and printed by Chromium come out on A4 with no
// column cut off at the page's edge; 公开09表's twelve amount columns print
// across the page; `export --format pdf` prints the same page. Screenshots of
// the print layout go to build*/tests/ui-screenshots/print-*.png.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Workspace, seed, NEIXIANG } from "./harness.mjs";

const CHROMIUM = process.env.BUDGETSYNC_CHROMIUM || "/usr/bin/chromium";
const BUDGET_SEED = "004_a4f76ae83a873a81";
const REPORTS = [
  ...["01", "02", "03", "04", "05", "06", "07", "08", "09"].map((n) => `411325-ybj/2024/final${n}`),
  "130532-ybj/2023/budget01",
  "411325-ybj/2024/perf-project:p01",
];

// A4 in PDF points, either way round.
const A4 = [595.92, 842.88];
// The page's width less its left and right margins (10 mm each), in CSS pixels.
const contentWidth = (landscape) => Math.floor(((landscape ? 297 : 210) - 20) * (96 / 25.4));

function mediaBox(pdf) {
  const m = pdf.toString("latin1").match(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/);
  assert.ok(m, "the PDF names its page size");
  return [Number(m[1]), Number(m[2])];
}

function assertA4(box, what) {
  const [w, h] = box;
  const near = (a, b) => Math.abs(a - b) < 2;
  assert.ok((near(w, A4[0]) && near(h, A4[1])) || (near(w, A4[1]) && near(h, A4[0])), `${what}: ${w}×${h} is A4`);
  return w > h;
}

test("every printed form is A4 with no column cut off", async () => {
  const w = new Workspace("print");
  await w.scenario(async () => {
    w.client("wang", { unit: "411325-ybj", unitName: "内乡县医疗保障局", user: "财务-王会计" });
    w.cli("wang", ["import", "--allow-other-units", path.join(seed(NEIXIANG, "")), path.join(seed(BUDGET_SEED, ""))]);
    const page = await w.openBlank();
    for (const key of REPORTS) {
      const name = key.replace(/[/:]/g, "_");
      const html = path.join(w.dir, `${name}.html`);
      w.cli("wang", ["export", key, "--format", "html", "-o", html]);
      await page.goto(`file://${html}`);
      await page.emulateMedia({ media: "print" });
      const landscape = assertA4(mediaBox(await page.pdf({ preferCSSPageSize: true })), key);
      if (key.endsWith("final09")) assert.ok(landscape, "公开09表 prints across the page");
      // Laid out at the width the page gives it, nothing reaches past the edge.
      await page.setViewportSize({ width: contentWidth(landscape), height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${key}: ${overflow}px beyond the page's edge`);
      // The page says which unit, year and money unit on every table, and no internal key.
      const text = await page.textContent("body");
      assert.match(text, /单位：/);
      assert.doesNotMatch(text, /in_fiscal|budgetsync/);
      if (["final01", "final09", "perf-project:p01", "budget01"].some((k) => key.endsWith(k)))
        await page.screenshot({ path: path.join(w.shots, `print-${name}.png`), fullPage: true });
    }
    // export --format pdf: the same page, printed by the browser the program finds.
    const pdf = path.join(w.dir, "公开09表.pdf");
    w.cli("wang", ["export", "411325-ybj/2024/final09", "--format", "pdf", "-o", pdf], { env: { BUDGETSYNC_CHROMIUM: CHROMIUM } });
    const bytes = readFileSync(pdf);
    assert.equal(bytes.subarray(0, 5).toString(), "%PDF-");
    assert.ok(assertA4(mediaBox(bytes), "export --format pdf"), "landscape");
  });
});
