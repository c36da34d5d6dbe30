// Drives Debian's headless Chromium through the staff console, as a person
// would. Started by tests/e2e/console_browser.rs with one argument: a JSON
// file naming the aggregator (base), an admin's e-mail and password, the
// address of a member's calendar served on 127.0.0.1 (member_url), the
// dates to use, the screenshots folder and what must be found. Exits 1
// after listing every failed check.
//
// Checked: keyboard-only login (skip link first, then the fields, Enter);
// hiding an event takes it out of the portal and of the widget (/embed);
// editing a title shows in /feeds/events.ics; adding a member by its
// address goes through the preview (answered in place, without a reload)
// and the member's events get published; an event entered by hand in
// French is in the ICS feed; at 360 px no console screen scrolls sideways;
// no console error and no request to another origin.
import { join } from "node:path";
import { start } from "./session.mjs";

const { cfg, failures, check, context, finish } = await start();
const origin = new URL(cfg.base).origin;
const seen = { strays: [], errors: [] };
context.on("request", (r) => {
  const u = r.url();
  if (!u.startsWith("data:") && new URL(u).origin !== origin) seen.strays.push(u);
});
const page = await context.newPage();
// Confirmation dialogs (data-confirm) are accepted, as a person would.
page.on("dialog", (d) => d.accept());
page.on("console", (m) => {
  if (m.type() === "error") seen.errors.push(m.text());
});
page.on("pageerror", (e) => seen.errors.push(String(e)));

const feed = async () => (await (await fetch(cfg.base + "/feeds/events.ics")).text()).replace(/\r\n[ \t]/g, "");
const publicTitles = async () =>
  (await (await fetch(cfg.base + "/api/v1/events?limit=1000")).json()).events.map((e) => e.title);
const flash = () => page.locator("#live").textContent();

try {
  // ------------------------------------------------ keyboard-only login
  await page.goto(cfg.base + "/admin", { waitUntil: "load" });
  check(await page.locator("h1").textContent() === "Connexion", "anonymous /admin shows the login form");
  // Tab, the skip link; Enter, the main content; Tab, the first field.
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => document.activeElement.className);
  check(first === "skip", `the first Tab reaches the skip link (got ${first})`);
  const skipVisible = await page.evaluate(() => document.activeElement.getBoundingClientRect().left >= 0);
  check(skipVisible, "the focused skip link is visible");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  const onEmail = await page.evaluate(() => document.activeElement.id);
  check(onEmail === "email", `after the skip link, Tab reaches the address (got ${onEmail})`);
  await page.keyboard.type(cfg.email);
  await page.keyboard.press("Tab");
  const onPassword = await page.evaluate(() => document.activeElement.id);
  check(onPassword === "password", `Tab goes from the address to the password (got ${onPassword})`);
  await page.keyboard.type(cfg.password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  check(/\/admin/.test(page.url()), `signed in lands in the console (${page.url()})`);
  check((await page.content()).includes("Se déconnecter"), "signed in: the logout button");
  const ring = await page.evaluate(() => {
    const b = document.querySelector("nav.console a");
    b.focus();
    return getComputedStyle(b).outlineStyle;
  });
  check(ring !== "none", `focus is visible (outline ${ring})`);
  await page.screenshot({ path: join(cfg.shots, "console-events.png"), fullPage: true });

  // ------------------------------------------------ hide an event
  await page.goto(cfg.base + "/admin/events?q=" + encodeURIComponent(cfg.hide_title), { waitUntil: "load" });
  await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: cfg.hide_title }).first().click()]);
  await page.screenshot({ path: join(cfg.shots, "console-event.png"), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Masquer", exact: true }).click()]);
  check(/masqué/.test(await flash()), `hide says so: ${await flash()}`);
  check(!(await publicTitles()).includes(cfg.hide_title), "hidden: gone from the API");
  const portal = await context.newPage();
  await portal.goto(cfg.base + "/", { waitUntil: "load" });
  const portalText = await portal.locator("main").textContent();
  check(!portalText.includes(cfg.hide_title), "hidden: gone from the portal");
  check(portalText.includes(cfg.edit_title), "the portal still shows the others");
  await portal.goto(cfg.base + "/embed", { waitUntil: "load" });
  await portal.waitForFunction(() => {
    const el = document.querySelector("babillard-events");
    const body = el && el.shadowRoot && el.shadowRoot.querySelector(".body");
    return body && !body.hasAttribute("aria-busy") && body.childElementCount > 0;
  }, null, { timeout: 10000 });
  const widget = await portal.evaluate(() =>
    [...document.querySelector("babillard-events").shadowRoot.querySelectorAll("a.t")].map((a) => a.textContent));
  check(!widget.includes(cfg.hide_title), `hidden: gone from the widget (${JSON.stringify(widget)})`);
  check(widget.includes(cfg.edit_title), "the widget still shows the others");
  await portal.close();

  // ------------------------------------------------ edit a title
  await page.goto(cfg.base + "/admin/events?q=" + encodeURIComponent(cfg.edit_title), { waitUntil: "load" });
  await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: cfg.edit_title }).first().click()]);
  await page.fill("#e-title", cfg.new_title);
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Enregistrer et verrouiller" }).click()]);
  check(/verrouillés/.test(await flash()), `edit says so: ${await flash()}`);
  check((await page.content()).includes("Fixé par une personne"), "the title is marked as set by a person");
  const ics = await feed();
  check(ics.includes("SUMMARY:" + cfg.new_title), `the new title is in the ICS feed`);

  // ------------------------------------------------ add a member by its address
  await page.goto(cfg.base + "/admin/sources/new", { waitUntil: "load" });
  await page.fill("#s-url", cfg.member_url);
  let reloaded = false;
  page.once("framenavigated", (f) => {
    if (f === page.mainFrame()) reloaded = true;
  });
  await page.getByRole("button", { name: "Voir ce qu’on y trouve" }).click();
  await page.waitForSelector("#preview h2", { timeout: 15000 });
  check(!reloaded, "the preview comes without a reload");
  const preview = await page.locator("#preview").textContent();
  check(preview.includes(cfg.member_title), `the preview lists the member's event: ${preview.slice(0, 300)}`);
  check(/1 événement trouvé/.test(preview), "the preview counts what it found");
  check(/ics/.test(preview), "the preview names the kind");
  const live = await flash();
  check(live.length > 0, "the preview is announced in the live region");
  await page.screenshot({ path: join(cfg.shots, "console-preview.png"), fullPage: true });
  await page.fill("#s-name", cfg.member_name);
  await page.fill("#s-id", cfg.member_id);
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Enregistrer et lire maintenant" }).click()]);
  check(/ajoutée/.test(await flash()), `adding says so: ${await flash()} (${page.url()})`);
  check((await page.content()).includes(cfg.member_name), "the new member is listed on the sources screen");
  check((await publicTitles()).includes(cfg.member_title), "the member's events are published at once");

  // ------------------------------------------------ an event entered by hand, in French
  await page.goto(cfg.base + "/admin/events/new", { waitUntil: "load" });
  await page.fill("#m-title-fr", cfg.manual_title);
  await page.fill("#m-description-fr", "Apportez vos aiguilles.");
  await page.fill("#m-start-date", cfg.manual_date);
  await page.fill("#m-start-time", "14:00");
  await page.fill("#m-end-date", cfg.manual_date);
  await page.fill("#m-end-time", "16:00");
  await page.selectOption("#m-venue", "maison-des-arts");
  await page.getByLabel("Musique").check();
  await page.screenshot({ path: join(cfg.shots, "console-manual.png"), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Enregistrer l’événement" }).click()]);
  check(/enregistré/.test(await flash()), `saving says so: ${await flash()}`);
  let found = false;
  for (let i = 0; i < 20 && !found; i++) {
    found = (await feed()).includes("SUMMARY:" + cfg.manual_title);
    if (!found) await new Promise((r) => setTimeout(r, 250));
  }
  check(found, "the hand-entered event is in the ICS feed");
  check(await page.inputValue("#m-title-fr") === cfg.manual_title, "after saving, the form holds the event as saved");
  check(await page.inputValue("#m-start-time") === "14:00", "the saved time is in the form");
  await page.goto(cfg.base + "/admin/events/new", { waitUntil: "load" });
  const saved = page.locator("#saved ~ ul a, section[aria-labelledby=saved] a");
  check((await saved.allTextContents()).includes(cfg.manual_title), "the hand-entry screen lists what was entered");
  await page.goto(cfg.base + "/admin/events?q=" + encodeURIComponent(cfg.manual_title), { waitUntil: "load" });
  await Promise.all([page.waitForNavigation(), page.getByRole("link", { name: cfg.manual_title }).first().click()]);
  const edit = page.getByRole("link", { name: "Modifier cet événement saisi" });
  check(await edit.count() === 1, "a hand-entered event's screen links to its form");

  // ------------------------------------------------ 360 px: one column, no sideways scroll
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ["/admin/events", "/admin/events/new", "/admin/sources", "/admin/sources/new", "/admin/venues", "/admin/categories", "/admin/audit", "/admin/accounts"]) {
    await page.goto(cfg.base + path, { waitUntil: "load" });
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    check(w <= 360, `${path} at 360 px is ${w} px wide`);
  }
  // The venues screen with a venue's edit form opened, and the sources
  // screen with its schedule form, at 360 px.
  await page.goto(cfg.base + "/admin/venues", { waitUntil: "load" });
  const open = page.locator("details summary").first();
  if (await open.count() === 1) await open.click();
  const vw = await page.evaluate(() => document.documentElement.scrollWidth);
  check(vw <= 360, `/admin/venues with a form open at 360 px is ${vw} px wide`);
  await page.screenshot({ path: join(cfg.shots, "console-venues-360.png"), fullPage: true });
  await page.goto(cfg.base + "/admin/sources", { waitUntil: "load" });
  await page.screenshot({ path: join(cfg.shots, "console-sources-360.png"), fullPage: true });
  await page.goto(cfg.base + "/admin/audit", { waitUntil: "load" });
  await page.screenshot({ path: join(cfg.shots, "console-audit-360.png"), fullPage: true });
  await page.goto(cfg.base + "/admin/events", { waitUntil: "load" });
  const link = await page.getByRole("link", { name: cfg.new_title }).first().getAttribute("href");
  await page.goto(cfg.base + link, { waitUntil: "load" });
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  check(w <= 360, `an event's screen at 360 px is ${w} px wide`);
  await page.screenshot({ path: join(cfg.shots, "console-event-360.png"), fullPage: true });

  check(seen.strays.length === 0, `requests to other origins: ${seen.strays.join(", ")}`);
  check(seen.errors.length === 0, `console errors: ${seen.errors.join(" | ")}`);
} catch (e) {
  failures.push(`stopped: ${e && e.stack ? e.stack : e}`);
  try {
    await page.screenshot({ path: join(cfg.shots, "console-failure.png"), fullPage: true });
  } catch {}
} finally {
  await finish();
}
if (failures.length) {
  console.error(failures.map((f) => "FAIL " + f).join("\n"));
  process.exit(1);
}
console.log(JSON.stringify({ ok: true }));
