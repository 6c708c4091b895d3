// Drives the Selvedge dashboard in headless Chromium (Debian's /usr/bin/chromium; playwright
// never downloads a browser here): log in with the admin token, find the exception the Rust
// test raised, resolve it from the page, see its state change, save a screenshot.
//
// Env: DASHBOARD_URL, ADMIN_TOKEN, EXCEPTION_ID, SCREENSHOT, CHROMIUM (default /usr/bin/chromium),
// WHY_SKU (optional: a SKU whose decision trace the page must show), WEBHOOK_AUTH_FAILURES
// (optional: refused webhook deliveries the client's card must show), SHADOW_CANDIDATE
// (optional: a candidate .wasm to shadow-run from the page; what the page shows is printed
// on a `shadow report: {json}` line for the Rust test to check against the store),
// SHADOW_BY (who accepts its differences).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = need("DASHBOARD_URL");
const token = need("ADMIN_TOKEN");
const id = need("EXCEPTION_ID");
const screenshot = need("SCREENSHOT");
const profile = mkdtempSync(join(tmpdir(), "selvedge-chromium-"));

// A fresh profile (playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1360, height: 1000 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
let failed = false;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Network errors are expected here (the wrong token is answered 401); script errors are not.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });

  await page.goto(url);
  // No token yet: the page asks for one and shows no data.
  await page.locator("#token-input").waitFor({ state: "visible" });
  await page.fill("#token-input", "wrong-token");
  await page.click("#token-save");
  await page.locator("#login-error", { hasText: "refused" }).waitFor();
  await page.fill("#token-input", token);
  await page.click("#token-save");
  await page.locator("#main").waitFor({ state: "visible" });

  // The home page lists every client in one overview, in trouble first.
  await page.locator("#ov-table tbody tr[data-client]").first().waitFor();
  const states = await page.locator("#ov-table tbody tr[data-client] td.state").allTextContents();
  const rank = { failing: 0, degraded: 1, paused: 2, ok: 3 };
  for (let i = 1; i < states.length; i++) {
    if (rank[states[i - 1]] > rank[states[i]]) throw new Error(`overview not in trouble-first order: ${states.join(", ")}`);
  }
  const expected = process.env.OVERVIEW_FIRST;
  if (expected) {
    const first = await page.locator("#ov-table tbody tr[data-client]").first().getAttribute("data-client");
    if (first !== expected) throw new Error(`the overview lists ${first} first, not the troubled ${expected}`);
  }

  const row = page.locator(`tr[data-exception-id="${id}"]`);
  await row.waitFor({ state: "visible" });
  const before = (await row.locator("td.state").textContent()).trim();
  if (before !== "open") throw new Error(`exception ${id} should start open, is ${before}`);
  // Resolving needs a note; without one the page refuses and nothing changes.
  await row.locator("button.resolve").click();
  await page.locator("#toast.bad").waitFor();
  await row.locator("input.note").fill("restocked and re-pushed (browser test)");
  await row.locator("button.resolve").click();
  await page.locator("#detail-state", { hasText: "resolved" }).waitFor();
  // Gone from the unresolved list; shown as resolved with every state.
  await page.locator(`tr[data-exception-id="${id}"]`).waitFor({ state: "detached" });
  await page.selectOption("#exc-state", "all");
  await page.locator(`tr[data-exception-id="${id}"] td.state`, { hasText: "resolved" }).waitFor();
  await page.locator("#health .card").first().waitFor();
  // Refused webhook deliveries (a rotated secret the storefront does not have) on the card.
  const refused = process.env.WEBHOOK_AUTH_FAILURES;
  if (refused) {
    await page.locator("#webhook-auth.bad .value", { hasText: new RegExp(`^${refused}, last at `) }).waitFor();
  }
  // The "why" view of a SKU the host pushed: its decision trace with the plugin version.
  const whySku = process.env.WHY_SKU;
  if (whySku) {
    await page.fill("#why-subject", whySku);
    await page.click("#why-form button[type=submit]");
    await page.locator("#why-body .card", { hasText: "plugin" }).first().waitFor();
    // Read as a sentence with the numbers, the raw record behind "details".
    const sentence = (await page.locator("#why-body p.sentence").first().textContent()).trim();
    if (!/^(ATS \d+ at \S+ = on hand \d+|Set to 0 by Selvedge)/.test(sentence)) {
      throw new Error(`the why of ${whySku} does not read as a sentence: ${sentence}`);
    }
    if (await page.locator("#why-body details pre").first().isVisible()) {
      throw new Error("the raw record should stay behind the details toggle");
    }
  }
  // Re-sync the SKU whose storefront stock was edited by hand: the host pushes it now and
  // says what it pushed (the test then reads the storefront).
  const resyncSku = process.env.RESYNC_SKU;
  if (resyncSku) {
    await page.selectOption("#resync-kind", "sku");
    await page.fill("#resync-subject", resyncSku);
    await page.click("#resync-form button[type=submit]");
    await page.locator("#resync-answer.resync-pushed", { hasText: `SKU ${resyncSku} pushed from ERP cycle` }).waitFor();
  }
  // A queued job cancelled from the page, with a note.
  const held = process.env.HELD_JOB;
  if (held) {
    const row = page.locator(`#jobs-table tr[data-job-id="${held}"]`);
    await row.waitFor();
    await row.locator("input.note").fill("not for the ERP");
    await row.locator("button.cancel-job").click();
    await page.locator("#toast", { hasText: `Job #${held}: cancelled by` }).waitFor();
    await row.waitFor({ state: "detached" });
  }
  // A shadow run from the page: a file that is no component is refused with the host's
  // message; the candidate's report is shown per rule with its first changed decisions, and
  // its differences are accepted under a name.
  const candidate = process.env.SHADOW_CANDIDATE;
  if (candidate) {
    await page.locator("#shadow-calls").fill("3");
    await page.setInputFiles("#shadow-file", { name: "broken.wasm", mimeType: "application/wasm", buffer: Buffer.from("not a component") });
    await page.click("#shadow-run");
    await page.locator("#shadow-error", { hasText: "not a valid WebAssembly component" }).waitFor();
    await page.setInputFiles("#shadow-file", candidate);
    await page.click("#shadow-run");
    await page.locator("#shadow-verdict").waitFor({ timeout: 90000 });
    const shown = await page.evaluate(() => ({
      verdict: document.getElementById("shadow-verdict").textContent,
      rules: [...document.querySelectorAll("#shadow-rules tbody tr")].map((tr) => ({
        call: tr.dataset.rule,
        calls: Number(tr.querySelector("td.calls").textContent),
        subjects: Number(tr.querySelector("td.subjects").textContent),
        changed: Number(tr.querySelector("td.changed").textContent),
        ats_delta: tr.querySelector("td.ats-delta").textContent,
      })),
      examples: [...document.querySelectorAll("#shadow-examples tbody tr")].map((tr) => [...tr.cells].map((td) => td.textContent)),
      by: document.getElementById("shadow-by") && document.getElementById("shadow-by").value,
    }));
    const run = /run #(\d+)/.exec(shown.verdict);
    if (!run) throw new Error(`the shadow verdict names no run: ${shown.verdict}`);
    shown.run_id = Number(run[1]);
    if (shown.by !== "bootstrap") throw new Error(`the reviewer field is not prefilled with the token's name: ${shown.by}`);
    await page.locator("#shadow-by").fill("");
    await page.click("#shadow-accept button[type=submit]");
    await page.waitForTimeout(300);
    if (await page.locator("#shadow-by:invalid").count() !== 1 || await page.locator("#shadow-accepted").count()) {
      throw new Error("the differences can be accepted without a reviewer's name");
    }
    const by = need("SHADOW_BY");
    await page.locator("#shadow-by").fill(by);
    await page.click("#shadow-accept button[type=submit]");
    await page.locator("#shadow-accepted", { hasText: `Run #${shown.run_id} accepted by ${by}` }).waitFor();
    console.log("shadow report: " + JSON.stringify(shown));
  }
  // Pause the client from the page: the overview shows it paused; resume brings it back.
  await page.click("#pause");
  await page.locator("#paused-line", { hasText: "Paused: all flows" }).waitFor();
  await page.locator('#ov-table tr[data-client="northwind-apparel"] td.state', { hasText: "paused" }).waitFor();
  if (await page.locator("#run-now").isVisible()) throw new Error("run now is offered while paused");
  await page.click("#resume");
  await page.locator("#run-now").waitFor({ state: "visible" });
  await page.selectOption("#run-flow", "inventory");
  await page.click("#run-now");
  await page.locator("#toast", { hasText: "inventory of northwind-apparel asked to run" }).waitFor();
  await page.screenshot({ path: screenshot, fullPage: true });
  // A viewer token: no write control on the page, and a forged write is refused with 403.
  const viewer = process.env.VIEWER_TOKEN;
  if (viewer) {
    await page.click("#logout");
    await page.locator("#token-input").waitFor({ state: "visible" });
    await page.fill("#token-input", viewer);
    await page.click("#token-save");
    await page.locator("#main").waitFor({ state: "visible" });
    await page.selectOption("#exc-state", "all");
    await page.locator("#exc-table tbody tr").first().waitFor();
    const buttons = await page.locator("#exc-table button.resolve, #exc-table button.retry").count();
    if (buttons) throw new Error(`a viewer sees ${buttons} exception action button(s)`);
    if (await page.locator("#pause").isVisible()) throw new Error("a viewer sees the pause button");
    if (await page.locator("#swap-form").isVisible()) throw new Error("a viewer sees the plugin swap form");
    if (await page.locator("#resync-form").isVisible()) throw new Error("a viewer sees the re-sync form");
    if (await page.locator("#shadow-panel").isVisible()) throw new Error("a viewer sees the shadow run panel");
    if (await page.locator("#shadow-accept, #shadow-report table").count()) throw new Error("a viewer sees the admin's shadow report");
    const cancels = await page.locator("#jobs-table button.cancel-job").count();
    if (cancels) throw new Error(`a viewer sees ${cancels} job cancel button(s)`);
    const forged = await page.evaluate(async ([token, exception]) => {
      const res = await fetch(`/api/exceptions/${exception}/retry`, {
        method: "POST",
        headers: { "authorization": `Bearer ${token}`, "content-type": "application/json" },
        body: "{}",
      });
      return { status: res.status, body: await res.text() };
    }, [viewer, id]);
    if (forged.status !== 403 || !forged.body.includes("needs role operator")) {
      throw new Error(`a forged viewer write got ${forged.status}: ${forged.body}`);
    }
    const shadow = await page.evaluate(async (token) => {
      const res = await fetch("/api/clients/northwind-apparel/plugin/shadow", {
        method: "POST",
        headers: { "authorization": `Bearer ${token}`, "content-type": "application/wasm" },
        body: "not a component",
      });
      return { status: res.status, body: await res.text() };
    }, viewer);
    if (shadow.status !== 403 || !shadow.body.includes("needs role admin")) {
      throw new Error(`a forged viewer shadow run got ${shadow.status}: ${shadow.body}`);
    }
  }
  if (errors.length) throw new Error("page errors: " + errors.join(" | "));
  console.log(`dashboard: exception ${id} resolved from the page; screenshot ${screenshot}`);
} catch (e) {
  failed = true;
  console.error("dashboard browser test failed:", e && e.stack ? e.stack : e);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
