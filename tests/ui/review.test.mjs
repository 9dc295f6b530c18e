// The review cycle in two browsers: a staff member submits, the reviewer of
// the bureau above sees the submissions in the dashboard, returns one with a
// reason, approves the other and consolidates; the staff member's page shows
// the return and its reason by itself, and the report is editable again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Workspace, seed, NEIXIANG, cell, openReport, until } from "./harness.mjs";

const FINAL01 = "411325-ybj/2024/final01";
const FINAL02 = "411325-ybj/2024/final02";
const REASON = "公开01表的支出合计请与账簿核对后再报";

test("a reviewer returns a report with a reason and the staff member sees it", async () => {
  const w = new Workspace("review");
  await w.scenario(async () => {
    await w.startServer([["ybj-demo", "演示上级医疗保障局"], ["411325-ybj", "内乡县医疗保障局", "ybj-demo"]], [
      { name: "财务-王会计", role: "staff", unit: "411325-ybj", password: "pw-wang-1234" },
      { name: "审核-刘科长", role: "reviewer", unit: "ybj-demo", password: "pw-liu-1234" },
    ]);
    w.client("wang", {
      unit: "411325-ybj", unitName: "内乡县医疗保障局", user: "财务-王会计",
      imports: [seed(NEIXIANG, "final01.json"), seed(NEIXIANG, "final02.json")], password: "pw-wang-1234",
    });
    const staff = await w.open(await w.startUi("wang"));
    await until("the staff page to go online", async () => (await staff.textContent("#sync")) === "在线");
    assert.equal(await staff.isHidden("#tab-review"), true, "staff have no review dashboard");

    // Submit both tables from the browser.
    for (const key of [FINAL01, FINAL02]) {
      await openReport(staff, key);
      await staff.click("#submit");
      await until(`${key} to be submitted`, async () => /已上报/.test(await staff.textContent("#message")));
      await until("the submitted report to show locked", async () =>
        (await staff.locator("#view input[data-row]:not([readonly])").count()) === 0);
    }
    await until("the submissions to be sent", async () => w.cliJson("wang", ["status"]).pending_ops === 0);

    w.client("liu", { unit: "ybj-demo", unitName: "演示上级医疗保障局", user: "审核-刘科长", password: "pw-liu-1234" });
    const reviewer = await w.open(await w.startUi("liu"));
    await until("the reviewer's dashboard tab", async () => !(await reviewer.isHidden("#tab-review")));
    await until("the submissions to arrive", async () => {
      await reviewer.click("#tab-review");
      return (await reviewer.locator('#review-table tr[data-state="submitted"]').count()) === 2;
    });
    const row01 = reviewer.locator(`#review-table tr[data-report="${FINAL01}"]`);
    assert.match(await row01.textContent(), /内乡县医疗保障局.*已上报.*财务-王会计/);
    await w.shot(reviewer, "review-dashboard");

    // 查看 shows the submission read-only: the unit's staff edit it, not the reviewer.
    await row01.locator("button", { hasText: "查看" }).click();
    await reviewer.waitForSelector(`input[data-row="in_fiscal"]`);
    assert.equal(await reviewer.locator("#view input[data-row]:not([readonly])").count(), 0);
    assert.equal(await reviewer.locator("#submit").count(), 0);
    await reviewer.click("#tab-review");
    await reviewer.waitForSelector(`#review-table tr[data-report="${FINAL01}"] button.return`);

    // A return without a reason is refused on the page; with one it goes.
    await row01.locator("button.return").click();
    assert.match(await reviewer.textContent("#message"), /请先填写原因/);
    await row01.locator("input.reason").fill(REASON);
    await row01.locator("button.return").click();
    await until("the return to be recorded", async () => /已退回/.test(await reviewer.textContent("#message")));
    await reviewer.locator(`#review-table tr[data-report="${FINAL02}"] button.approve`).click();
    await until("the approval to be recorded", async () => /已审核通过/.test(await reviewer.textContent("#message")));
    await until("the steps to be sent", async () => w.cliJson("liu", ["status"]).pending_ops === 0);

    await reviewer.click("#consolidate");
    await until("the consolidation", async () => /已汇总 1 张表/.test(await reviewer.textContent("#message")));
    assert.match(await reviewer.textContent("#message"), /ybj-demo\/2024\/final02/);
    await until("the consolidated table in the reviewer's list", async () =>
      (await reviewer.locator('#reports a[data-report="ybj-demo/2024/final02"]').count()) === 1);
    // Naming the 本级 offsets the transfers between it and the others (the seed unit books none).
    await reviewer.selectOption("#consolidate-parent", FINAL02.split("/")[0]);
    await reviewer.click("#consolidate");
    await until("the consolidation with a 本级", async () => /冲抵 0 笔单位间往来/.test(await reviewer.textContent("#message")));

    // The staff page, left open on final02, notices the return of final01 by itself.
    await until("the return to reach the staff member", async () =>
      (await staff.locator(`#reports a[data-report="${FINAL01}"]`).getAttribute("data-state")) === "returned");
    await openReport(staff, FINAL01);
    assert.match(await staff.textContent("#returned-reason"), new RegExp(`审核-刘科长 退回：${REASON}`));
    assert.equal(await cell(staff, "in_fiscal", "amount").getAttribute("readonly"), null, "a returned report is editable");
    assert.equal(await staff.isEnabled("#submit"), true);
    await w.shot(staff, "returned-with-reason");
    assert.equal(await staff.locator(`#reports a[data-report="${FINAL02}"]`).getAttribute("data-state"), "approved");
  });
});
