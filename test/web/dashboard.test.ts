/**
 * The simulator's web dashboard in headless Chromium (Debian's chromium driven
 * by playwright-core): a Simulation of three tanks against the test mosquitto
 * (virtual time), the dashboard server on it, and the built page.
 *
 * - the page shows every simulated device with its level;
 * - "On" acts as the iotBind mobile app: the platform emulator publishes the
 *   state over MQTT, the firmware switches its relay (asserted on the Device),
 *   and the page reflects it; the message log shows the downlink;
 * - "On" on a full tank is refused by the pump rules (HIGH_LEVEL): the relay
 *   stays off and the refusal is visible on the page;
 * - the chart grows as virtual time runs;
 * - a screenshot is written to test-artifacts/dashboard.png;
 * - another web page (a second origin on another port) cannot switch a pump:
 *   not by fetch (no-cors text/plain, CORS JSON), an HTML form, or the WebSocket.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { createServer, type Server } from "node:http";
import { Simulation } from "../../sim/simulation.js";
import { startDashboard, DEFAULT_STATIC_DIR, type Dashboard } from "../../sim/web/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// Unique uids: the test mosquitto is shared with other test files running in parallel.
const tag = `w${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const A = `${tag}-a`; // auto off: only the app switches it
const B = `${tag}-b`; // full tank, nothing drawn: "on" is refused (HIGH_LEVEL)
const C = `${tag}-c`; // the demo tank (auto mode)

let sim: Simulation;
let dash: Dashboard;
let context: BrowserContext;
let page: Page;
let profile: string;
const pageErrors: string[] = [];

const card = (uid: string) => page.locator(`[data-uid="${uid}"]`);
const chartPoints = async (uid: string): Promise<number> => Number(await card(uid).locator(".chart").getAttribute("data-points"));

beforeAll(async () => {
  if (!existsSync(join(DEFAULT_STATIC_DIR, "index.html"))) {
    execFileSync(process.execPath, [join(ROOT, "web", "build.mjs")], { cwd: ROOT, stdio: "inherit" });
  }
  const broker = inject("broker");
  sim = await Simulation.start({
    broker: { url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password },
    devices: [
      { uid: A, name: "App tank", config: { auto: false }, tank: { initialLevelPct: 40, consumptionLph: 300 } },
      { uid: B, name: "Full tank", tank: { initialLevelPct: 98, consumptionLph: 0 } },
      { uid: C, name: "Demo tank" },
    ],
    speed: 60,
    seed: "dashboard",
  });
  dash = await startDashboard(sim, { port: 0, sampleEveryMs: 5000 });
  void sim.run();

  profile = mkdtempSync(join(tmpdir(), "iotbind-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1400, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(dash.url);
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await dash?.close();
  await sim?.stop();
});

describe("web dashboard", () => {
  it("shows every simulated device with its level, reading and connection", async () => {
    for (const uid of [A, B, C]) await expect.poll(() => card(uid).count(), { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator(".card").count()).toBe(3);
    // first readings arrive and the devices connect (the page shows what the firmware measured)
    for (const uid of [A, B, C]) {
      await expect.poll(() => card(uid).getAttribute("data-online"), { timeout: 15_000 }).toBe("true");
      await expect.poll(() => card(uid).locator(".tank").getAttribute("data-level"), { timeout: 15_000 }).not.toBe("");
    }
    const shown = Number(await card(B).locator(".tank").getAttribute("data-level"));
    expect(shown).toBeGreaterThan(90);
    expect(Math.abs(shown - (sim.device(B).device.levelPct ?? -100))).toBeLessThan(3);
    expect(await card(A).locator('[data-field="temperature"]').textContent()).toMatch(/°C/);
    await expect.poll(() => page.locator('[data-field="live"]').textContent()).toBe("live");
    // the platform has seen the device (its view is on the page)
    await expect.poll(() => card(A).locator('[data-field="platform-cmd"]').textContent(), { timeout: 10_000 }).toMatch(/OFF/);
    await expect.poll(() => card(A).locator('[data-field="platform-connection"]').textContent(), { timeout: 10_000 }).toMatch(/^connected, heard \d+ s ago/);
  });

  it("'On' switches the relay in the firmware through the platform emulator, and the page reflects it", async () => {
    expect(sim.device(A).device.relayOn).toBe(false);
    expect(await card(A).getAttribute("data-relay")).toBe("off");
    await card(A).locator('[data-action="on"]').click();
    await expect.poll(() => sim.device(A).device.relayOn, { timeout: 10_000 }).toBe(true);
    expect(sim.device(A).hardware.truth().relayOn).toBe(true);
    await expect.poll(() => card(A).getAttribute("data-relay"), { timeout: 5_000 }).toBe("on");
    expect(await card(A).locator('[data-field="relay"]').textContent()).toMatch(/pump ON/);
    expect(sim.platform!.device(A)!.cmd).toBe("on");

    // the message log: the platform's state (downlink) with cmd on, and the device's uplinks
    await card(A).locator(".title").click();
    const log = page.locator('[data-detail] [data-panel="log"]');
    await expect.poll(() => log.locator(".log-downlink").filter({ hasText: '"cmd":"on"' }).count(), { timeout: 5_000 }).toBeGreaterThan(0);
    await expect.poll(() => log.locator(".log-uplink").count(), { timeout: 5_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-detail] [data-field="authenticated"]').textContent()).toMatch(/yes/);

    // and "Off" back, once the pump's minimum run time (30 s) has passed
    const onAt = sim.now();
    await expect.poll(() => sim.now(), { timeout: 10_000 }).toBeGreaterThan(onAt + 40_000);
    const refusalsBefore = (await card(A).locator(".card-actions").textContent()) ?? "";
    expect(refusalsBefore).not.toMatch(/refused/);
    await card(A).locator('[data-action="off"]').click();
    await expect.poll(() => sim.device(A).device.relayOn, { timeout: 10_000 }).toBe(false);
    await expect.poll(() => card(A).getAttribute("data-relay"), { timeout: 5_000 }).toBe("off");
  });

  it("a refusal by the pump rules is visible: 'On' on a full tank leaves the relay off", async () => {
    await card(B).locator('[data-action="on"]').click();
    // said in words: what was refused, why, and when it will be allowed
    await expect.poll(() => card(B).locator('[data-field="refusal"]').textContent(), { timeout: 10_000 })
      .toMatch(/^On refused: the tank is full \(high cut-off \d+ %\), allowed when the level is below \d+ %$/);
    expect(sim.device(B).device.relayOn).toBe(false);
    expect(await card(B).getAttribute("data-relay")).toBe("off");
    // the device reported its real state: the platform converges to off
    await expect.poll(() => sim.platform!.device(B)!.cmd, { timeout: 10_000 }).toBe("off");
    const chip = page.locator('[data-status="refused"] .n');
    await expect.poll(() => chip.textContent(), { timeout: 5_000 }).toBe("1");
  });

  it("the chart grows as virtual time runs; screenshot", async () => {
    const t0 = sim.now();
    const p0 = await chartPoints(C);
    await expect.poll(() => sim.now(), { timeout: 10_000 }).toBeGreaterThan(t0 + 30_000);
    await expect.poll(() => chartPoints(C), { timeout: 5_000 }).toBeGreaterThan(p0 + 3);
    // the uPlot canvas is there and sized
    const box = await card(C).locator(".chart canvas").boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(200);

    await card(B).locator(".title").click();
    await expect.poll(() => page.locator('[data-detail] [data-field="refusals"]').textContent(), { timeout: 5_000 }).toMatch(/On refused: the tank is full/);
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(ROOT, "test-artifacts", "dashboard.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe("web dashboard against another web page (issue 13)", () => {
  it("a page on another origin cannot switch a pump: fetch, form POST and WebSocket are all refused", async () => {
    const calls: [string, boolean][] = [];
    const orig = sim.setSwitch.bind(sim);
    sim.setSwitch = (uid: string, on: boolean) => {
      calls.push([uid, on]);
      return orig(uid, on);
    };
    const target = new URL(dash.url);
    const switchUrl = `${dash.url}api/devices/${A}/switch`;
    const wsUrl = `ws://${target.host}/ws`;
    // The attacker's page: every way a browser page can reach the dashboard, reporting what it saw.
    const evil = `<!doctype html><title>evil</title><body>
<form id="f" method="POST" action="${switchUrl}" target="sink" enctype="text/plain"><input name='{"on":true,"x":"' value='"}'></form>
<form id="g" method="POST" action="${switchUrl}" target="sink2"><input name="on" value="true"></form>
<iframe name="sink"></iframe><iframe name="sink2"></iframe>
<script>
window.results = {};
(async () => {
  try { const r = await fetch(${JSON.stringify(switchUrl)}, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: '{"on":true}' }); window.results.noCors = "sent:" + r.type; } catch (e) { window.results.noCors = "error"; }
  try { const r = await fetch(${JSON.stringify(switchUrl)}, { method: "POST", headers: { "content-type": "application/json" }, body: '{"on":true}' }); window.results.cors = "status:" + r.status; } catch (e) { window.results.cors = "blocked"; }
  document.getElementById("f").submit();
  document.getElementById("g").submit();
  window.results.ws = await new Promise((resolve) => {
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onopen = () => { ws.send(JSON.stringify({ type: "switch", uid: ${JSON.stringify(A)}, on: true, id: 1 })); setTimeout(() => resolve("opened"), 500); };
    ws.onerror = () => resolve("refused");
  });
  window.results.done = true;
})();
</script></body>`;
    const other: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(evil);
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const otherPort = (other.address() as { port: number }).port;
    expect(otherPort).not.toBe(dash.port);
    const attacker = await context.newPage();
    const answers: { url: string; method: string; status: number }[] = [];
    attacker.on("response", (r) => answers.push({ url: r.url(), method: r.request().method(), status: r.status() }));
    try {
      expect(sim.device(A).device.relayOn).toBe(false);
      await attacker.goto(`http://127.0.0.1:${otherPort}/`);
      await expect.poll(() => attacker.evaluate(() => (window as unknown as { results: { done?: boolean } }).results.done), { timeout: 10_000 }).toBe(true);
      const results = await attacker.evaluate(() => (window as unknown as { results: Record<string, unknown> }).results);
      expect(results.cors).toBe("blocked"); // the preflight is not granted
      expect(results.ws).toBe("refused"); // the upgrade is refused (403)
      // the no-cors fetch and the forms reach the server, which refuses them (their answers are opaque to the page);
      // give the forms' navigations time to land, and the firmware time to act if anything got through
      await attacker.waitForTimeout(1500);
      const t0 = sim.now();
      await expect.poll(() => sim.now(), { timeout: 10_000 }).toBeGreaterThan(t0 + 30_000);
      expect(calls).toEqual([]);
      expect(sim.platform!.device(A)!.cmd).toBe("off");
      expect(sim.device(A).device.relayOn).toBe(false);
      // the requests did reach the dashboard, which refused them: the no-cors fetch, both forms, the preflight
      const seen = answers.filter((a) => a.url === switchUrl);
      expect(seen.filter((a) => a.method === "POST" && a.status === 403).length).toBeGreaterThanOrEqual(3);
      expect(seen.every((a) => a.status === 403), JSON.stringify(seen)).toBe(true);
      // and the dashboard's own page still switches (control)
      await card(A).locator('[data-action="on"]').click();
      await expect.poll(() => sim.device(A).device.relayOn, { timeout: 10_000 }).toBe(true);
      expect(calls).toEqual([[A, true]]);
    } finally {
      sim.setSwitch = orig;
      await attacker.close();
      other.closeAllConnections();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});

describe("web dashboard explains itself (issue 16)", () => {
  it("a refusal says what, why and when it will be allowed, counting down; a command in flight is shown", async () => {
    // let A's minimum on-time pass, then run in real time so the countdown is readable
    const t0 = sim.now();
    await expect.poll(() => sim.now(), { timeout: 10_000 }).toBeGreaterThan(t0 + 40_000);
    if (!sim.device(A).device.relayOn) {
      await card(A).locator('[data-action="on"]').click();
      await expect.poll(() => sim.device(A).device.relayOn, { timeout: 10_000 }).toBe(true);
      const t1 = sim.now();
      await expect.poll(() => sim.now(), { timeout: 10_000 }).toBeGreaterThan(t1 + 40_000);
    }
    sim.speed = 1;
    const orig = sim.setSwitch.bind(sim);
    try {
      await card(A).locator('[data-action="off"]').click();
      await expect.poll(() => sim.device(A).device.relayOn, { timeout: 10_000 }).toBe(false);
      // the next On is held back 1.5 s on its way: the card says it is being sent
      sim.setSwitch = async (uid: string, on: boolean) => {
        await new Promise((r) => setTimeout(r, 1500));
        return orig(uid, on);
      };
      await card(A).locator('[data-action="on"]').click();
      await expect.poll(() => card(A).locator('[data-field="pending"]').textContent(), { timeout: 1_400 }).toBe("sending On…");
      sim.setSwitch = orig;
      // refused by the minimum off-time (30 s), with the time left
      const refusal = card(A).locator('[data-field="refusal"]');
      await expect.poll(() => refusal.textContent(), { timeout: 10_000 }).toMatch(/^On refused: minimum off-time 30 s, allowed in \d+ s$/);
      const left1 = Number(/in (\d+) s/.exec((await refusal.textContent())!)![1]);
      expect(left1).toBeGreaterThan(0);
      expect(left1).toBeLessThanOrEqual(30);
      await expect.poll(async () => Number(/in (\d+) s/.exec((await refusal.textContent()) ?? "")?.[1] ?? NaN), { timeout: 6_000 }).toBeLessThan(left1);
      expect(sim.device(A).device.relayOn).toBe(false);
    } finally {
      sim.setSwitch = orig;
      sim.speed = 60;
    }
  });

  it("names things as the user knows them; charts have labelled axes, one time format, temperature history and a legend", async () => {
    const c = card(C);
    const text = (await c.textContent()) ?? "";
    for (const label of ["Sensor reading", "simulated", "Temperature", "Device relay", "App switch", "Platform"]) expect(text).toContain(label);
    expect(text).not.toMatch(/\btrue \d/);
    // the legend on the card names every line, the relay band and the auto thresholds
    const legend = c.locator('[data-field="legend"]');
    const keys = await legend.locator(".key").evaluateAll((els) => els.map((e) => e.getAttribute("data-key")));
    expect(keys).toEqual(["level", "simulated", "temperature", "relay", "app", "start", "stop"]);
    expect(await legend.textContent()).toMatch(/auto start 30 %.*auto stop 90 %/);
    // axes are labelled; every time tick reads like the clock (hh:mm:ss)
    const chart = c.locator(".chart");
    expect((await chart.getAttribute("data-axis-labels"))?.split("|")).toEqual(["virtual time (hh:mm:ss)", "level %", "°C"]);
    await expect.poll(() => chart.getAttribute("data-x-ticks"), { timeout: 5_000 }).toBeTruthy();
    const ticks = ((await chart.getAttribute("data-x-ticks")) ?? "").split("|");
    expect(ticks.length).toBeGreaterThan(1);
    for (const t of ticks) expect(t).toMatch(/^(\d+d )?\d{2}:\d{2}:\d{2}$/);
    // temperature has a history: the open device's chart has the series, with values
    if ((await page.locator(`[data-detail="${C}"]`).count()) === 0) await c.locator(".title").click();
    const det = page.locator(`[data-detail="${C}"]`);
    await expect.poll(() => det.locator(".u-legend").textContent(), { timeout: 5_000 }).toMatch(/temperature °C/);
    await expect.poll(async () => Number(await det.locator(".chart").getAttribute("data-temp-points")), { timeout: 5_000 }).toBeGreaterThan(2);
    await expect.poll(() => det.locator('[data-field="legend"] [data-key="temperature"]').count(), { timeout: 5_000 }).toBe(1);
  });

  it("the header shows the speed achieved, not only the one asked for", async () => {
    const achieved = page.locator('[data-field="achieved-speed"] strong');
    await expect.poll(() => achieved.textContent(), { timeout: 10_000 }).toMatch(/^\d+(\.\d)?×$/);
    await expect.poll(async () => Number.parseFloat((await achieved.textContent()) ?? ""), { timeout: 10_000 }).toBeGreaterThan(20);
    expect(Number.parseFloat((await achieved.textContent()) ?? "")).toBeLessThan(75);
  });

  it("on a phone with 20 devices, tapping a tank brings its detail into view", async () => {
    const fleet = await Simulation.start({ devices: 20, uidPrefix: `${tag}p`, speed: 60, seed: "phone" });
    const fleetDash = await startDashboard(fleet, { port: 0 });
    void fleet.run();
    const phone = await context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(fleetDash.url);
      await phone.locator('select[aria-label="devices per page"]').selectOption("24");
      await expect.poll(() => phone.locator(".card").count(), { timeout: 10_000 }).toBe(20);
      const target = phone.locator(".card").nth(16);
      const uid = await target.getAttribute("data-uid");
      await target.locator(".tank-button").scrollIntoViewIfNeeded();
      const before = await phone.evaluate(() => window.scrollY);
      expect(before).toBeGreaterThan(2000); // far down the page
      await target.locator(".tank-button").click();
      const detail = phone.locator(`[data-detail="${uid}"]`);
      await expect.poll(async () => (await detail.boundingBox())?.y ?? -1, { timeout: 5_000 }).toBeGreaterThanOrEqual(0);
      const box = (await detail.boundingBox())!;
      expect(box.y).toBeLessThan(844 / 2);
      expect(box.width).toBeLessThanOrEqual(390);
      // nothing wider than the phone
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await phone.screenshot({ path: join(ROOT, "test-artifacts", "dashboard-phone.png") });
    } finally {
      await phone.close();
      await fleetDash.close();
      await fleet.stop();
    }
  }, 60_000);

  it("when the server goes away, the page shows its data as stale, not online", async () => {
    await page.locator("[data-detail] .close").click().catch(() => {});
    await page.screenshot({ path: join(ROOT, "test-artifacts", "dashboard.png"), fullPage: true });
    await dash.close();
    await expect.poll(() => page.locator('[data-field="stale"]').textContent(), { timeout: 10_000 }).toMatch(/Lost the connection to the simulator.*not live/);
    for (const uid of [A, B, C]) {
      expect(await card(uid).getAttribute("data-stale")).toBe("true");
      expect(await card(uid).locator("header .badge").textContent()).toBe("stale");
    }
    expect(await page.locator('[data-field="live"]').textContent()).toBe("reconnecting…");
    expect(await page.locator('[data-field="achieved-speed"] strong').textContent()).toBe("—"); // nothing is running as far as the page knows
    await expect.poll(() => page.locator('[data-field="stale"]').textContent(), { timeout: 5_000 }).toMatch(/simulator [1-9]\d* s ago/); // the banner keeps time
    await page.screenshot({ path: join(ROOT, "test-artifacts", "dashboard-stale.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
