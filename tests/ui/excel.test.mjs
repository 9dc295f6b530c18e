// Excel in the desktop app: a report, and every report, downloaded as a
// workbook; a workbook chosen with 导入 Excel is previewed — which sheet is
// which report — before anything is written, imported whole on 导入, and the
// same file again is refused in the preview, with 导入 disabled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Workspace, seed, NEIXIANG, openReport, until } from "./harness.mjs";

const FINAL01 = "411325-ybj/2024/final01";
const FINAL02 = "411325-ybj/2024/final02";

test("workbooks download, and an uploaded one is previewed then imported", async () => {
  const w = new Workspace("excel");
  await w.scenario(async () => {
    w.client("wang", { unit: "411325-ybj", unitName: "内乡县医疗保障局", user: "财务-王会计", imports: [seed(NEIXIANG, "final02.json")] });
    // A workbook of 公开01表 made elsewhere, by the command line of another replica.
    w.client("source", { unit: "411325-ybj", unitName: "内乡县医疗保障局", user: "财务-李会计", imports: [seed(NEIXIANG, "final01.json")] });
    const workbook = path.join(w.dir, "公开01表.xlsx");
    w.cli("source", ["export", FINAL01, "--format", "xlsx", "-o", workbook]);

    const page = await w.open(await w.startUi("wang"));
    await openReport(page, FINAL02);
    const one = page.waitForEvent("download");
    await page.click("#export-xlsx");
    const download = await one;
    assert.match(download.suggestedFilename(), /final02\.xlsx$/);
    assert.equal(readFileSync(await download.path()).subarray(0, 2).toString(), "PK");
    const all = page.waitForEvent("download");
    await page.click("#export-excel-all");
    assert.match((await all).suggestedFilename(), /\.xlsx$/);

    // 导入 Excel: the preview first; nothing is written until 导入.
    await page.setInputFiles("#import-excel", workbook);
    await page.waitForSelector("#import-preview");
    const preview = await page.textContent("#import-preview");
    assert.match(preview, /公开01表 收入支出决算总表/);
    assert.match(preview, new RegExp(FINAL01));
    assert.equal(await page.locator(`#reports a[data-report="${FINAL01}"]`).count(), 0, "nothing imported by the preview");
    await w.shot(page, "import-preview");
    await page.click("#import-confirm");
    await until("the imported report to open", async () =>
      (await page.evaluate(() => document.querySelector("#reports a.current")?.dataset.report)) === FINAL01);
    assert.match(await page.textContent("#message"), /导入 1 张报表/);
    assert.equal(w.cliJson("wang", ["show", FINAL01]).rows.find((r) => r.key === "in_fiscal").cells.amount, "2945.68");

    // The same file again: the preview says why it cannot be imported.
    await page.setInputFiles("#import-excel", workbook);
    await page.waitForSelector("#import-preview .refused");
    assert.match(await page.textContent("#import-preview .refused"), /已在本副本中/);
    assert.ok(await page.isDisabled("#import-confirm"));
  });
});
