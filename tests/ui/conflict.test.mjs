// Two staff of one unit change the same cell at once: the conflict reaches the
// browser by itself, the inbox shows every competing value with who and when,
// and one click keeps a value, which then reaches the other device too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Workspace, seed, NEIXIANG, twoStaffOfNeixiang, typeInto, openReport, pendingCount, until } from "./harness.mjs";

const FINAL02 = "411325-ybj/2024/final02";

test("a conflict between two devices is settled with one click in the inbox", async () => {
  const w = new Workspace("conflict");
  await w.scenario(async () => {
    await twoStaffOfNeixiang(w, [seed(NEIXIANG, "final02.json")]);
    const page = await w.open(await w.startUi("wang"));
    await until("the import to be sent", async () => (await page.textContent("#sync")) === "在线" && w.cliJson("wang", ["status"]).pending_ops === 0);

    w.cli("li", ["sync"]);
    // 李会计 edits offline while 王会计 edits the same cell in the browser.
    w.cli("li", ["set", FINAL02, "2101505", "fiscal", "17.00"]);
    await openReport(page, FINAL02);
    await typeInto(page, "2101505", "fiscal", "18.00");
    // Asked of the replica: the header may still show the count from before the edit.
    await until("王会计's edit to be sent", async () => w.cliJson("wang", ["status"]).pending_ops === 0);
    const sent = w.cliJson("li", ["sync"]);
    assert.equal(sent.conflicts, 1, "李会计's edit was based on the value before 王会计's");

    await until("the conflict to reach the browser", async () => (await page.textContent("#conflict-count")) === "(1)");
    await page.click("#tab-conflicts");
    const box = page.locator(".conflict");
    await until("the inbox to list it", async () => (await box.count()) === 1);
    assert.match(await box.textContent(), /医疗保障政策管理 · 财政拨款收入/);
    const values = box.locator("li");
    assert.equal(await values.count(), 2);
    const text = await values.allTextContents();
    assert.ok(text.some((t) => t.includes("18.00") && t.includes("财务-王会计")), text.join(" | "));
    assert.ok(text.some((t) => t.includes("17.00") && t.includes("财务-李会计")), text.join(" | "));
    await w.shot(page, "conflicts-inbox");

    // Keep 李会计's value.
    await box.locator('li[data-value="17.00"] button.keep').click();
    await until("the inbox to empty", async () => (await page.locator("#no-conflicts").count()) === 1);
    await until("the settlement to be sent", async () => w.cliJson("wang", ["status"]).pending_ops === 0);
    await until("the header to show no conflict", async () => (await pendingCount(page)) === 0 && (await page.textContent("#conflict-count")) === "");

    w.cli("li", ["sync"]);
    const open = w.cliJson("li", ["conflicts"]);
    assert.equal(open.conflicts.length, 0);
    assert.equal(w.cliJson("li", ["history", FINAL02, "2101505", "fiscal"]).at(-1).value, "17.00");
    assert.equal(w.cliJson("wang", ["history", FINAL02, "2101505", "fiscal"]).at(-1).value, "17.00");
  });
});
