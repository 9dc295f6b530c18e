// A new user types a table from nothing in the browser: a report made empty
// from its name, its fixed rows there to fill, amounts taken as people type
// them with a Chinese input method, and a second `new` refused in Chinese.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Workspace, seed, NEIXIANG, cell, typeInto, until } from "./harness.mjs";

const FRESH = "411325-ybj/2025/final01";

test("a new report is made empty in the browser and filled in", async () => {
  const w = new Workspace("new");
  await w.scenario(async () => {
    w.client("wang", {
      unit: "411325-ybj", unitName: "内乡县医疗保障局", user: "财务-王会计",
      imports: [seed(NEIXIANG, "final02.json")],
    });
    const page = await w.open(await w.startUi("wang"));
    await until("the box to offer this unit", async () => (await page.inputValue("#new-report")).startsWith("411325-ybj/"));
    // Every form is offered for the unit and year typed; a refusal shows under the
    // box even with no report open.
    await page.fill("#new-report", "411325-ybj/2024/");
    await until("the forms to be offered for 2024", async () => (await page.evaluate(() =>
      [...document.querySelectorAll("#new-report-forms option")].map(o => o.value))).includes("411325-ybj/2024/perf-project:p01"));
    await page.fill("#new-report", "411325-ybj/2024/项目支出绩效自评表");
    await page.click("#new-report-button");
    await until("the refusal under the box", async () => /没有表样“项目支出绩效自评表”/.test(await page.textContent("#new-report-message")));
    assert.ok(await page.isVisible("#new-report-message"));
    await page.fill("#new-report", FRESH);
    await page.click("#new-report-button");
    await until("the new report to open", async () =>
      (await page.evaluate(() => document.querySelector("#reports a.current")?.dataset.report)) === FRESH);
    await page.waitForSelector('input[data-row="in_fiscal"]');
    assert.match(await page.textContent("#message"), /已新建/);
    assert.equal(await cell(page, "in_fiscal", "amount").inputValue(), "", "a blank fixed row");
    assert.equal(await cell(page, "x210", "amount").inputValue(), "");
    await w.shot(page, "new-report");

    // 万 and full-width digits are amounts, stored as plain digits.
    const first = await typeInto(page, "in_fiscal", "amount", "3359.62万");
    assert.equal(first.status(), 200);
    const second = await typeInto(page, "x210", "amount", "３０００．００");
    assert.equal(second.status(), 200);
    const stored = w.cliJson("wang", ["show", FRESH]);
    const value = (row) => stored.rows.find((r) => r.key === row)?.cells.amount;
    assert.equal(value("in_fiscal"), "3359.62");
    assert.equal(value("x210"), "3000.00");

    // The same report again is refused, and says so in Chinese.
    await page.fill("#new-report", FRESH);
    await page.click("#new-report-button");
    await until("the refusal", async () => /已在本副本中/.test(await page.textContent("#new-report-message")));
  });
});
