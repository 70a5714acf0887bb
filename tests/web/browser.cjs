/*
 * Lightwing browser checks, driven from tests/web/test_browser.py.
 *
 *   node tests/web/browser.cjs '<json config>'
 *
 * Config: { base, key, artifacts, nodeModules, request }. Launches Debian's headless Chromium
 * (no browser download) through playwright-core, runs every check, and prints ONE JSON line:
 * { axe: [...], keyboard: {...}, dashboard: {...}, errors: [...] }.
 */
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const config = JSON.parse(process.argv[2] || "{}");
const { chromium } = require(path.join(config.nodeModules, "playwright-core"));
const AXE_PATH = path.join(config.nodeModules, "axe-core", "axe.min.js");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
const STEP_MS = 15000;

const results = { axe: [], keyboard: { steps: [] }, dashboard: { steps: [] }, errors: [], console: [] };

function log(...args) { process.stderr.write(args.join(" ") + "\n"); }

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lw-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      // A fake microphone (a beep) that needs no permission prompt: tests MediaRecorder.
      "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
    ],
    // The pages forbid inline scripts (CSP); axe is injected inline, so the test bypasses it.
    bypassCSP: true,
    viewport: { width: 1280, height: 900 },
    reducedMotion: "reduce",
  });
  return { context, profile };
}

function watch(page, name) {
  page.on("pageerror", (error) => results.errors.push(`${name}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") { results.console.push(`${name}: ${message.text()}`); }
  });
}

async function axeScan(page, label) {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ path: AXE_PATH });
  }
  const outcome = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
  results.axe.push({ label, violations: outcome });
}

async function shot(page, name) {
  fs.mkdirSync(config.artifacts, { recursive: true });
  await page.screenshot({ path: path.join(config.artifacts, `${name}.png`), fullPage: true });
}

/** Switch a display toggle by keyboard (focus it, press Space) and check it took effect. */
async function setMode(page, mode) {
  for (const [pref, cls] of [["large", "lw-large"], ["contrast", "lw-contrast"]]) {
    const want = mode === pref;
    const on = await page.evaluate((c) => document.documentElement.classList.contains(c), cls);
    if (on !== want) {
      await page.focus(`#pref-${pref}`);
      await page.keyboard.press("Space");
      const pressed = await page.getAttribute(`#pref-${pref}`, "aria-pressed");
      if (pressed !== String(want)) { throw new Error(`toggle ${pref} did not switch (aria-pressed=${pressed})`); }
    }
  }
}

async function scanPages(context) {
  const page = await context.newPage();
  watch(page, "scan");
  for (const lang of ["zh", "en"]) {
    // The chat, with the greeting and its buttons on screen.
    await page.goto(`${config.base}/?lang=${lang}`);
    await page.waitForSelector("#chat-log .msg-bot", { timeout: STEP_MS });
    for (const mode of ["normal", "large", "contrast"]) {
      await setMode(page, mode);
      await axeScan(page, `chat ${lang} ${mode}`);
      await shot(page, `chat-${lang}-${mode}`);
    }
    await setMode(page, "normal");
    // Display choices are remembered across a reload.
    await setMode(page, "large");
    await page.reload();
    results.axe.push({
      label: `remembered large text ${lang}`,
      violations: (await page.evaluate(() => document.documentElement.classList.contains("lw-large")
        && document.getElementById("pref-large").getAttribute("aria-pressed") === "true"))
        ? [] : [{ id: "prefs-not-remembered", help: "large text was not remembered", nodes: [] }],
    });
    await setMode(page, "normal");

    // The dashboard: the sign-in form, then the signed-in board with data, charts and a detail.
    await page.goto(`${config.base}/dashboard?lang=${lang}`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    for (const mode of ["normal", "large", "contrast"]) {
      await setMode(page, mode);
      await axeScan(page, `dashboard-login ${lang} ${mode}`);
      await shot(page, `dashboard-login-${lang}-${mode}`);
    }
    await setMode(page, "normal");
    await page.fill("#api-key", config.key);
    await page.press("#api-key", "Enter");
    await page.waitForSelector("#board:not([hidden]) #queue-body tr", { timeout: STEP_MS });
    await page.waitForSelector("#stats .stat-figure, #stats dl", { timeout: STEP_MS });
    results.dashboard.areaCellsByLang = results.dashboard.areaCellsByLang || {};
    results.dashboard.areaCellsByLang[lang] = await page.$$eval("#queue-body tr > :nth-child(5)", (cells) => cells.map((c) => c.textContent));
    await page.click("#queue-body button.open-detail");
    await page.waitForSelector("#detail:not([hidden]) #detail-events li", { timeout: STEP_MS });
    for (const mode of ["normal", "large", "contrast"]) {
      await setMode(page, mode);
      await axeScan(page, `dashboard ${lang} ${mode}`);
      await shot(page, `dashboard-${lang}-${mode}`);
    }
    await setMode(page, "normal");
    await page.click("#logout");
  }

  // The system's own preferences: more contrast, and forced colours (Windows high contrast).
  for (const [name, media] of [["prefers-contrast", { contrast: "more" }], ["forced-colors", { forcedColors: "active" }]]) {
    await page.emulateMedia(media);
    await page.goto(`${config.base}/?lang=en`);
    await page.waitForSelector("#chat-log .msg-bot");
    await axeScan(page, `chat en ${name}`);
    await shot(page, `chat-en-${name}`);
  }
  await page.emulateMedia({ contrast: "no-preference", forcedColors: "none" });

  // Reflow (WCAG 1.4.10): at 320 CSS pixels wide nothing needs sideways scrolling.
  results.reflow = [];
  await page.setViewportSize({ width: 320, height: 640 });
  for (const url of ["/?lang=zh", "/?lang=en", "/dashboard?lang=zh", "/dashboard?lang=en"]) {
    await page.goto(config.base + url);
    for (const mode of ["normal", "large"]) {
      await setMode(page, mode);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      results.reflow.push({ url, mode, width });
    }
    await setMode(page, "normal");
  }
  await shot(page, "dashboard-en-320px");
  await page.close();
}

/* ---------- keyboard only ---------- */

async function focused(page, selector) {
  return page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector);
}

/** Move focus with Tab (or Shift+Tab) only, until the selector is focused; returns presses. */
async function tabTo(page, selector, backwards) {
  for (const key of backwards ? ["Shift+Tab", "Tab"] : ["Tab", "Shift+Tab"]) {
    for (let i = 1; i <= 80; i += 1) {
      await page.keyboard.press(key);
      if (await focused(page, selector)) { return i; }
    }
  }
  throw new Error(`could not reach ${selector} with the keyboard`);
}

async function newestBot(page) {
  return page.evaluate(() => {
    const all = document.querySelectorAll("#chat-log .msg-bot");
    const last = all[all.length - 1];
    if (!last) { return null; }
    return {
      id: last.getAttribute("data-id"),
      text: last.querySelector(".msg-text").textContent,
      lang: last.querySelector(".msg-text").getAttribute("lang"),
      actions: Array.from(last.querySelectorAll("button.choice:not([disabled])")).map((b) => b.getAttribute("data-action")),
      inLiveLog: !!last.closest('[role="log"][aria-live="polite"]'),
    };
  });
}

async function botCount(page) { return page.locator("#chat-log .msg-bot").count(); }

/** Press the enabled choice whose data matches, by keyboard, and wait for the answer. */
async function choose(page, pattern, key) {
  const before = await botCount(page);
  const selector = `#chat-log button.choice:not([disabled])${pattern}`;
  const presses = await tabTo(page, selector, true);
  const action = await page.evaluate(() => document.activeElement.getAttribute("data-action"));
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  await page.keyboard.press(key);
  await page.waitForFunction((n) => document.querySelectorAll("#chat-log .msg-bot").length > n, before, { timeout: STEP_MS });
  results.keyboard.steps.push({ action, key, presses, focusRing: ring });
  return newestBot(page);
}

async function residentByKeyboard(context) {
  const page = await context.newPage();
  watch(page, "resident");
  const k = results.keyboard;
  await page.goto(`${config.base}/?lang=en`);
  await page.waitForSelector('#chat-log button.choice[data-action="lang:en"]', { timeout: STEP_MS });

  // The first Tab lands on the skip link, which is visible when focused and moves focus to main.
  await page.keyboard.press("Tab");
  k.skipLinkFirst = await focused(page, "a.skip-link");
  k.skipLinkVisible = await page.evaluate(() => document.activeElement.getBoundingClientRect().top >= 0);
  await page.keyboard.press("Enter");
  k.skipLinkMovesFocus = await focused(page, "main");

  let reply = await choose(page, '[data-action="lang:en"]', "Enter");
  // Voice mode: replies come with a player for their spoken form.
  if (reply.actions.some((a) => a.startsWith("mode:"))) { reply = await choose(page, '[data-action="mode:voice"]', "Space"); }
  if (reply.actions.includes("skip:dis")) { reply = await choose(page, '[data-action="skip:dis"]', "Enter"); }
  for (let level = 0; level < 5 && reply.actions.some((a) => /^area:\d+$/.test(a)); level += 1) {
    reply = await choose(page, '[data-action^="area:"]:not([data-action="area:up"]):not([data-action^="area:set"])', "Enter");
  }
  if (reply.actions.some((a) => a.startsWith("area:set:"))) { reply = await choose(page, '[data-action^="area:set:"]', "Enter"); }
  if (reply.actions.includes("consent:yes")) { reply = await choose(page, '[data-action="consent:yes"]', "Space"); }
  k.onboarded = reply;
  await shot(page, "resident-onboarded");

  // A spoken reply: the server's OGG/Opus plays in the page's <audio controls>.
  k.audio = await page.evaluate(() => new Promise((resolve) => {
    const players = document.querySelectorAll("#chat-log audio.msg-audio");
    const player = players[players.length - 1];
    if (!player) { resolve({ found: false }); return; }
    const done = (ok) => resolve({ found: true, ok, duration: player.duration, src: player.getAttribute("src"), label: player.getAttribute("aria-label"), controls: player.controls });
    player.addEventListener("loadedmetadata", () => done(true), { once: true });
    player.addEventListener("error", () => done(false), { once: true });
    player.preload = "metadata";
    player.load();
    setTimeout(() => done(false), 20000);
  }));

  // Type the request and send it with Enter.
  await tabTo(page, "#chat-input", false);
  const before = await botCount(page);
  await page.keyboard.type(config.request);
  await page.keyboard.press("Enter");
  // The first request also warms the classifier up: allow it more time.
  await page.waitForFunction((n) => document.querySelectorAll("#chat-log .msg-bot").length > n, before, { timeout: 3 * STEP_MS });
  reply = await newestBot(page);
  k.readBack = reply;
  for (let i = 0; i < 3 && !reply.actions.some((a) => a.startsWith("req:confirm:")); i += 1) {
    if (reply.actions.some((a) => a.startsWith("cat:escort:"))) {
      reply = await choose(page, '[data-action^="cat:escort:"]', "Enter");
    } else if (reply.actions.some((a) => a.startsWith("cat:"))) {
      reply = await choose(page, '[data-action^="cat:"]', "Enter");
    } else { break; }
  }
  if (reply.actions.some((a) => a.startsWith("req:confirm:"))) {
    reply = await choose(page, '[data-action^="req:confirm:"]', "Space");
  }
  k.final = reply;
  k.inputCleared = (await page.inputValue("#chat-input")) === "";
  k.live = await page.evaluate(() => {
    const logEl = document.getElementById("chat-log");
    return { role: logEl.getAttribute("role"), live: logEl.getAttribute("aria-live") };
  });
  await shot(page, "resident-request-sent");

  // A reload shows the same conversation (cookie session, history kept on the server).
  const shown = await page.locator("#chat-log .msg").count();
  await page.reload();
  await page.waitForSelector("#chat-log .msg");
  k.historyKept = (await page.locator("#chat-log .msg").count()) === shown;
  return page;
}

/* ---------- coordinator ---------- */

async function coordinator(context) {
  const d = results.dashboard;
  const board = await context.newPage();
  watch(board, "dashboard");
  await board.goto(`${config.base}/dashboard?lang=en`);
  await board.evaluate(() => sessionStorage.clear());
  await board.reload();
  // Sign in with the keyboard.
  await tabTo(board, "#api-key", false);
  await board.keyboard.type(config.key);
  await board.keyboard.press("Enter");
  await board.waitForSelector("#board:not([hidden])", { timeout: STEP_MS });
  await board.waitForFunction(() => document.getElementById("live-state").classList.contains("on"), null, { timeout: STEP_MS });
  d.live = true;
  // Areas by name (in the page language), never "Area 14": rows, the filter, the charts, a detail.
  await board.waitForSelector("#stats .stat-figure", { timeout: STEP_MS });
  d.areaCells = await board.$$eval("#queue-body tr > :nth-child(5)", (cells) => cells.map((c) => c.textContent));
  d.areaOptions = await board.$$eval("#f-area option", (opts) => opts.map((o) => ({ value: o.value, text: o.textContent })));
  d.charts = await board.$$eval("#stats .stat-figure", (figs) => figs.map((f) => ({
    caption: f.querySelector("figcaption").textContent,
    rows: Array.from(f.querySelectorAll("tbody th")).map((th) => th.textContent),
  })));
  const ids = await board.$$eval("#queue-body tr", (rows) => rows.map((r) => r.id));
  await board.evaluate(() => { window.__notReloaded = true; });

  // Meanwhile a resident asks for help in another tab.
  const resident = await residentByKeyboard(context);
  const residentSaw = await botCount(resident);

  // The new request appears without a reload, marked new, and is announced.
  await board.waitForFunction((old) => Array.from(document.querySelectorAll("#queue-body tr")).some((r) => !old.includes(r.id)), ids, { timeout: STEP_MS });
  d.notReloaded = await board.evaluate(() => window.__notReloaded === true);
  const fresh = await board.$$eval("#queue-body tr", (rows, old) => rows.filter((r) => !old.includes(r.id)).map((r) => ({ id: r.id, text: r.textContent })), ids);
  d.newRows = fresh;
  d.announced = await board.textContent("#dash-status");
  await shot(board, "dashboard-new-request");

  // Open it, reassign it to the volunteer given in the config, see the event appear.
  const requestId = fresh[0].id.replace("req-", "");
  d.requestId = Number(requestId);
  await board.focus(`#req-${requestId} button.open-detail`);
  await board.keyboard.press("Enter");
  await board.waitForSelector("#detail:not([hidden])", { timeout: STEP_MS });
  d.detailFields = await board.$$eval("#detail-fields dt", (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling.textContent]));
  const eventsBefore = await board.locator("#detail-events li").count();
  await tabTo(board, "#r-volunteer", false);
  await board.keyboard.type(String(config.volunteerId));
  await board.keyboard.press("Enter");
  await board.waitForFunction(() => document.getElementById("reassign-result").textContent.length > 0, null, { timeout: STEP_MS });
  d.reassignResult = await board.textContent("#reassign-result");
  await board.waitForFunction((n) => document.querySelectorAll("#detail-events li").length > n, eventsBefore, { timeout: STEP_MS }).catch(() => null);
  d.events = await board.$$eval("#detail-events li", (items) => items.map((li) => li.textContent));
  await shot(board, "dashboard-reassigned");

  // The resident's open chat hears about it (outbox → /chat/poll) without a reload.
  await resident.waitForFunction((n) => document.querySelectorAll("#chat-log .msg-bot").length > n, residentSaw, { timeout: 20000 });
  d.residentNotified = await newestBot(resident);
  await shot(resident, "resident-notified");
  await resident.close();

  // Overdue requests say so in words, not only by colour.
  await board.check("#f-overdue");
  await board.click("#filters button[type=submit]");
  await board.waitForTimeout(500);
  d.overdueRows = await board.$$eval("#queue-body tr", (rows) => rows.map((r) => ({ id: r.id, marked: !!r.querySelector(".overdue"), text: r.textContent })));

  // Ledger verification.
  await board.click("#ledger-verify");
  await board.waitForFunction(() => document.getElementById("ledger-result").textContent.length > 0, null, { timeout: STEP_MS });
  d.ledger = await board.textContent("#ledger-result");
  await board.close();
}

/* ---------- voice note from the (fake) microphone ---------- */

async function voiceNote(context) {
  const v = results.voice = {};
  const page = await context.newPage();
  watch(page, "voice");
  await page.goto(`${config.base}/?lang=en`);
  await page.waitForSelector("#chat-log .msg");
  const before = await page.locator("#chat-log .msg-user").count();
  await tabTo(page, "#voice-record", false);
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("chat-status").textContent.length > 0, null, { timeout: STEP_MS });
  v.recordingStatus = await page.textContent("#chat-status");
  v.stopLabel = await page.textContent("#voice-record");
  await page.waitForTimeout(1500);
  const started = Date.now();
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll("#chat-log .msg-user").length > n, before, { timeout: 4 * STEP_MS });
  v.seconds = (Date.now() - started) / 1000;
  v.said = await page.evaluate(() => { const all = document.querySelectorAll("#chat-log .msg-user"); return all[all.length - 1].textContent; });
  v.reply = await newestBot(page);
  v.error = await page.textContent("#chat-error");
  await shot(page, "resident-voice-note");
  await page.close();
}

/* ---------- a language chosen in the conversation switches the page ---------- */

async function languageSwitch() {
  const l = results.langSwitch = {};
  const { context, profile } = await launch();  // a new browser: a new resident
  try {
    const page = await context.newPage();
    watch(page, "language");
    await page.goto(`${config.base}/?lang=zh`);
    await page.waitForSelector('#chat-log button.choice[data-action="lang:en"]', { timeout: STEP_MS });
    l.before = await page.getAttribute("html", "lang");
    await tabTo(page, '#chat-log button.choice[data-action="lang:en"]', false);
    await Promise.all([page.waitForURL(/lang=en/, { timeout: STEP_MS }), page.keyboard.press("Enter")]);
    await page.waitForSelector("#chat-log .msg-bot");
    l.after = await page.getAttribute("html", "lang");
    l.heading = await page.textContent("h1");
    l.next = await newestBot(page);
    await shot(page, "resident-language-switched");
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

(async () => {
  const { context, profile } = await launch();
  try {
    for (const [name, step] of [["coordinator", coordinator], ["voice", voiceNote], ["language", languageSwitch], ["scan", scanPages]]) {
      try {
        await step(context);
      } catch (error) {
        results.errors.push(`${name}: ${error.stack || error}`);
        let n = 0;
        for (const page of context.pages()) {
          n += 1;
          await shot(page, `error-${name}-${n}`).catch(() => null);
          const log = await page.evaluate(() => (document.getElementById("chat-log") || document.body).innerText).catch(() => "");
          results.errors.push(`${name} page ${n} ${page.url()}: ${log.slice(-1500)}`);
        }
      }
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(results) + "\n");
})().catch((error) => {
  process.stderr.write(String(error.stack || error) + "\n");
  process.exit(2);
});
