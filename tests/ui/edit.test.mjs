// A staff member works on a report in the browser, offline: the grid laid out
// like the paper form, a validation finding appearing on the cells a wrong
// number breaks and going away when it is put right, scores following what is
// typed before it is saved, a bad amount refused, a row added and removed,
// the cell's history, and the exports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Workspace, seed, NEIXIANG, cell, cellBox, typeInto, openReport, until } from "./harness.mjs";

const FINAL02 = "411325-ybj/2024/final02";
const P03 = "411325-ybj/2024/perf-project:p03";

test("editing a report shows its findings appear and disappear, and scores follow the typing", async () => {
  const w = new Workspace("edit");
  await w.scenario(async () => {
    w.client("wang", {
      unit: "411325-ybj", unitName: "内乡县医疗保障局", user: "财务-王会计",
      imports: [seed(NEIXIANG, "final02.json"), seed(NEIXIANG, "perf-project_p03.json")],
    });
    const page = await w.open(await w.startUi("wang"));
    await until("the header to name the unit", async () => (await page.textContent("#unit")) === "内乡县医疗保障局");
    assert.match(await page.textContent("#sync"), /未连接服务器/);

    // The reports by family, with their validation state.
    assert.equal(await page.locator("#reports h3").allTextContents().then((t) => t.join(",")), "决算,绩效");
    assert.match(await page.textContent(`#reports a[data-report="${P03}"]`), /1 个错误/);

    await openReport(page, FINAL02);
    assert.equal(await cell(page, "2101505", "fiscal").inputValue(), "15.00");
    assert.equal(await cell(page, "2101505", "total").getAttribute("readonly"), "", "本年收入合计 is computed");
    assert.equal(await page.locator(".code", { hasText: "2101505" }).count(), 1, "the code column");
    assert.equal(await page.textContent("#findings-title"), "校验通过");
    await w.shot(page, "report-grid");

    // 15.00 -> 16.00 breaks the row's composition and the 款 above it.
    await typeInto(page, "2101505", "fiscal", "16.00");
    await until("the findings to appear", async () => (await page.locator("#findings li").count()) >= 2);
    assert.ok(await cellBox(page, "2101505", "total").evaluate((td) => td.classList.contains("finding")));
    assert.ok(await cellBox(page, "21015", "fiscal").evaluate((td) => td.classList.contains("finding")));
    assert.match(await page.textContent("#findings"), /医疗保障管理事务/);
    assert.match(await page.textContent("#message"), /15\.00 → 16\.00/);
    // The history of the cell just edited is beside the grid.
    assert.match(await page.textContent("#history"), /财务-王会计/);
    assert.equal(await page.locator("#history tr").count(), 3, "header, the import and the edit");
    await w.shot(page, "report-findings");

    await typeInto(page, "2101505", "fiscal", "15.00");
    await until("the findings to go", async () => (await page.textContent("#findings-title")) === "校验通过");
    assert.equal(await page.locator("td.finding").count(), 0);

    // A non-numeric amount is refused, and nothing changes.
    await cell(page, "2101505", "fiscal").fill("十五");
    await cell(page, "2101505", "fiscal").press("Tab");
    await until("the refusal", async () => /不是数字/.test(await page.textContent("#message")));
    const stored = w.cliJson("wang", ["history", FINAL02, "2101505", "fiscal"]);
    assert.equal(stored.at(-1).value, "15.00");

    // Scores: typing 全年执行数 recomputes 年度资金总额's score before anything is saved.
    await openReport(page, P03);
    const fundsRule = page.locator('#scores tr[data-row="funds_total"] td').nth(3);
    assert.equal(await fundsRule.textContent(), "10.00");
    await cell(page, "funds_total", "spent").fill("2.44");
    await until("the score to follow the typing", async () => (await fundsRule.textContent()) === "5.00");
    await w.shot(page, "score-as-you-type");
    await cell(page, "funds_total", "spent").fill("4.88");
    await until("the score to come back", async () => (await fundsRule.textContent()) === "10.00");

    // The wrong 得分 (6.10 for 10 × 100%) is a computed cell: one click takes the rule's value.
    assert.ok(await cellBox(page, "funds_total", "score").evaluate((td) => td.classList.contains("finding")));
    const saved = page.waitForResponse((r) => r.url().endsWith("/api/cell"));
    await page.click('#findings li[data-cell="funds_total:score"] button');
    await saved;
    await until("the score's finding to go", async () =>
      !(await cellBox(page, "funds_total", "score").evaluate((td) => td.classList.contains("finding"))));
    assert.equal(await cell(page, "funds_total", "score").inputValue(), "10.00");

    // Indicators are rows a person adds and removes.
    const rows = () => page.locator('table[data-section="indicators"] tr[data-row]').count();
    const before = await rows();
    await page.click('button.add-row:has-text("添加指标")');
    await until("the new indicator row", async () => (await rows()) === before + 1);
    const added = await page.locator('table[data-section="indicators"] tr[data-row]').last().getAttribute("data-row");
    await typeInto(page, added, "level3", "维修面积");
    await page.click(`tr[data-row="${added}"] button:has-text("删除")`);
    await until("the row to go", async () => (await rows()) === before);

    // Exports: the CSV download and the printable page.
    const download = page.waitForEvent("download");
    await page.click("#export-csv");
    const csv = await download;
    assert.match(csv.suggestedFilename(), /perf-project_p03\.csv$/);
    const popup = page.waitForEvent("popup");
    await page.click("#export-html");
    const printable = await popup;
    await printable.waitForLoadState();
    assert.match(await printable.textContent("body"), /2024年修缮费/);
  });
});
