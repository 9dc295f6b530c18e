// The connection drops and returns while a staff member works in the browser:
// the header says offline, edits still save and the pending count grows; when
// the server is back the agent inside `budgetsync ui` sends them by itself, the
// count returns to zero, and another device of the unit gets the edits.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Workspace, seed, NEIXIANG, twoStaffOfNeixiang, cell, typeInto, openReport, pendingCount, until } from "./harness.mjs";

const FINAL02 = "411325-ybj/2024/final02";

test("edits made while the server is down reach another device once it is back", async () => {
  const w = new Workspace("offline");
  await w.scenario(async () => {
    await twoStaffOfNeixiang(w, [seed(NEIXIANG, "final02.json")]);
    const page = await w.open(await w.startUi("wang"));
    await until("the agent to go online", async () => (await page.textContent("#sync")) === "在线");
    await until("the import to be sent", async () => w.cliJson("wang", ["status"]).pending_ops === 0);

    await w.stopServer();
    await until("the header to say offline", async () => (await page.textContent("#sync")) === "离线");
    assert.notEqual(await page.textContent("#sync-error"), "", "the header says why");

    await openReport(page, FINAL02);
    await typeInto(page, "2101505", "fiscal", "16.00");
    await typeInto(page, "2101506", "fiscal", "5.88");
    await until("the pending count to grow", async () => (await pendingCount(page)) === 2);
    assert.equal(await page.textContent("#sync"), "离线");
    assert.equal(await cell(page, "2101505", "fiscal").inputValue(), "16.00");
    await w.shot(page, "offline-pending");

    await w.restartServer();
    await until("the edits to be sent by themselves", async () => (await pendingCount(page)) === 0, 60_000);
    assert.equal(await page.textContent("#sync"), "在线");
    assert.equal(await page.textContent("#sync-error"), "");
    await w.shot(page, "online-synced");

    // 李会计's device downloads them.
    w.cli("li", ["sync"]);
    const h1 = w.cliJson("li", ["history", FINAL02, "2101505", "fiscal"]);
    assert.equal(h1.at(-1).value, "16.00");
    assert.equal(h1.at(-1).author, "财务-王会计");
    const h2 = w.cliJson("li", ["history", FINAL02, "2101506", "fiscal"]);
    assert.equal(h2.at(-1).value, "5.88");
  });
});
