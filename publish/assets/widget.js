/*! babillard widget: <babillard-events>. Plain JavaScript, no build step.
 * Attributes: src calendar q category venue source territory near radius-km limit lang
 * view(list|month), and as in the API: from to bbox. `calendar` reads that calendar of
 * the server (its /c/{id}/ surface) and wears its branding (accent colour, logo, name).
 * Theming: --babillard-accent --babillard-font --babillard-bg --babillard-fg
 * --babillard-muted --babillard-line --babillard-radius --babillard-font-size.
 * Sets no cookie; talks to its own server only. Licence: AGPL-3.0-or-later. */
(function () {
  "use strict";
  const BABILLARD_STATIC = false;
  if (typeof customElements === "undefined" || customElements.get("babillard-events")) return;
  const cur = document.currentScript;
  const BASE = cur && cur.src ? new URL(".", cur.src).href : location.origin + "/";
  const T = {
    fr: {
      events: "Événements", loading: "Chargement…", empty: "Aucun événement.",
      error: "Impossible de charger les événements.", allday: "Toute la journée",
      prev: "Mois précédent", next: "Mois suivant", all: "Tout l’agenda",
      cancelled: "Annulé", postponed: "Reporté", month: "Mois", more: "autres",
    },
    en: {
      events: "Events", loading: "Loading…", empty: "No events.",
      error: "The events could not be loaded.", allday: "All day",
      prev: "Previous month", next: "Next month", all: "Full calendar",
      cancelled: "Cancelled", postponed: "Postponed", month: "Month", more: "more",
    },
  };
  const CSS =
    ":host{display:block;container-type:inline-size}:host([hidden]){display:none}" +
    ".b{all:initial;display:block;box-sizing:border-box;min-width:0;max-width:100%;" +
    "font-family:var(--babillard-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);" +
    "font-size:var(--babillard-font-size,16px);line-height:1.45;color:var(--babillard-fg,#1d1d1f);" +
    "background:var(--babillard-bg,#fff);text-align:start;padding:.5em;overflow-wrap:anywhere}" +
    ":where(.b *){box-sizing:border-box;font:inherit;color:inherit;margin:0;padding:0}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "a{color:var(--babillard-accent,var(--babillard-brand,#8a1c3c));text-decoration:underline}" +
    "a:focus-visible,button:focus-visible{outline:3px solid var(--babillard-accent,var(--babillard-brand,#8a1c3c));outline-offset:2px}" +
    "ul{list-style:none}h3{font-weight:700;margin:.75em 0 .25em}h3::first-letter{text-transform:uppercase}" +
    "li.e{padding:.4em 0;border-bottom:1px solid var(--babillard-line,#ddd)}" +
    ".t{font-weight:600}.w,.v,.s{font-size:.9em;color:var(--babillard-muted,#555)}" +
    ".x{display:inline-block;font-size:.8em;font-weight:700;padding:0 .4em;margin-inline-end:.4em;" +
    "border-radius:var(--babillard-radius,4px);background:#a4161a;color:#fff}" +
    ".x.postponed{background:#7a4b00}.c .t,a.c{text-decoration:line-through}" +
    ".n{display:flex;align-items:center;justify-content:space-between;gap:.5em;margin-bottom:.5em}" +
    ".n h3{margin:0;text-align:center;flex:1}" +
    "button{cursor:pointer;border:1px solid var(--babillard-accent,var(--babillard-brand,#8a1c3c));color:var(--babillard-accent,var(--babillard-brand,#8a1c3c));" +
    "background:var(--babillard-bg,#fff);border-radius:var(--babillard-radius,4px);padding:.2em .6em;min-width:2.5em;min-height:2.2em}" +
    "table{border-collapse:collapse;width:100%;table-layout:fixed}" +
    "th{font-size:.8em;font-weight:600;color:var(--babillard-muted,#555);padding:.2em;text-align:center}" +
    "td{vertical-align:top;border:1px solid var(--babillard-line,#ddd);height:4.5em;padding:.15em;font-size:.85em}" +
    "td.o{background:var(--babillard-off,#f4f4f4)}td[aria-current]{outline:2px solid var(--babillard-accent,var(--babillard-brand,#8a1c3c));outline-offset:-2px}" +
    ".d{display:block;font-weight:600}td a{display:block;font-size:.9em;line-height:1.2;margin-top:.15em;overflow:hidden;text-overflow:ellipsis}" +
    "td .dot{display:none}.ag{display:none}.f{margin-top:.5em;font-size:.9em}.st{color:var(--babillard-muted,#555);padding:.5em 0}" +
    "@container (max-width:544px){td a{display:none}td .dot{display:block;text-align:center;color:var(--babillard-accent,var(--babillard-brand,#8a1c3c))}" +
    "td{height:2.6em}.ag{display:block}}" +
    ".hd{display:flex;align-items:center;gap:.5em;margin-bottom:.25em;font-weight:700}.hd img{height:1.75em;width:auto}.hd[hidden]{display:none}";
  // A constructed stylesheet is not an inline <style>: it works under a
  // strict Content-Security-Policy (the host page's, or /embed's) that has
  // no 'unsafe-inline'. Browsers without it get the <style> element.
  const SHEET = (() => {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      return sheet;
    } catch (e) {
      return null;
    }
  })();

  const fmtCache = new Map();
  function fmt(locale, tz, opts) {
    const key = locale + "|" + tz + "|" + JSON.stringify(opts);
    let f = fmtCache.get(key);
    if (!f) {
      try {
        f = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: tz || undefined }, opts));
      } catch (_) {
        f = new Intl.DateTimeFormat(locale, opts);
      }
      fmtCache.set(key, f);
    }
    return f;
  }
  const pad = (n) => String(n).padStart(2, "0");
  // The local calendar day of an instant in a zone, as "YYYY-MM-DD".
  function ymd(date, tz) {
    const p = {};
    for (const part of fmt("en-CA", tz, { year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(date)) {
      p[part.type] = part.value;
    }
    return p.year + "-" + p.month + "-" + p.day;
  }
  function addDays(day, n) {
    const [y, m, d] = day.split("-").map(Number);
    const t = new Date(Date.UTC(y, m - 1, d + n));
    return t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1) + "-" + pad(t.getUTCDate());
  }
  // First and last local days of an event in its own zone (all-day ends are exclusive).
  function span(ev) {
    const tz = ev.timezone;
    const s = new Date(ev.start);
    const first = ymd(s, tz);
    if (!ev.end) return [first, first];
    const e = new Date(ev.end);
    let last = ymd(new Date(e.getTime() - 1), tz);
    if (last < first) last = first;
    return [first, last];
  }
  function fold(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/œ/g, "oe").replace(/æ/g, "ae").replace(/ß/g, "ss");
  }
  function list(v) {
    return (v || "").split(",").map((x) => x.trim()).filter(Boolean);
  }
  function haversine(a1, o1, a2, o2) {
    const r = Math.PI / 180;
    const x = Math.sin(((a2 - a1) * r) / 2) ** 2 + Math.cos(a1 * r) * Math.cos(a2 * r) * Math.sin(((o2 - o1) * r) / 2) ** 2;
    return 12742 * Math.asin(Math.min(1, Math.sqrt(x)));
  }
  // Titles and descriptions in `lang` when the event has a translation.
  function localize(ev, lang) {
    const tr = ev.translations && ev.translations[lang];
    if (!tr || ev.language === lang) return ev;
    return Object.assign({}, ev, { title: tr.title, description: tr.description, language: lang });
  }
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const k in attrs || {}) {
      if (attrs[k] == null || attrs[k] === false) continue;
      if (k === "class") el.className = attrs[k];
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), attrs[k]);
      else el.setAttribute(k, attrs[k]);
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
    return el;
  }
  const staticData = new Map();
  // The branding of a calendar (`api/v1/calendar` of its surface), once
  // per surface.
  const brands = new Map();
  function brandOf(base) {
    if (!brands.has(base)) {
      brands.set(base, fetch(base + "api/v1/calendar", { credentials: "omit", mode: "cors" })
        .then((r) => (r.ok ? r.json() : null))
        .catch(() => null));
    }
    return brands.get(base);
  }

  class BabillardEvents extends HTMLElement {
    static get observedAttributes() {
      return ["src", "calendar", "q", "category", "venue", "source", "territory", "near", "radius-km", "limit", "lang", "view", "from", "to", "bbox"];
    }
    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._sheet = SHEET && "adoptedStyleSheets" in this._root;
      if (this._sheet) this._root.adoptedStyleSheets = [SHEET];
      this._seq = 0;
      this._month = null;
      this._queued = false;
    }
    connectedCallback() {
      this._queue();
    }
    attributeChangedCallback() {
      if (this.isConnected) this._queue();
    }
    _queue() {
      if (this._queued) return;
      this._queued = true;
      queueMicrotask(() => {
        this._queued = false;
        this._load();
      });
    }
    get _base() {
      const src = this.getAttribute("src");
      let u;
      try {
        u = src ? new URL(src, document.baseURI).href : BASE;
      } catch (_) {
        u = BASE;
      }
      u = u.endsWith("/") ? u : u + "/";
      const cal = (this.getAttribute("calendar") || "").trim();
      if (!cal || BABILLARD_STATIC) return u;
      // The server's root, whether `src` (or widget.js) named it or one
      // of its calendars, then that calendar's surface.
      const root = u.replace(/c\/[^/]+\/$/, "");
      return root + "c/" + encodeURIComponent(cal) + "/";
    }
    get _lang() {
      const own = this.getAttribute("lang");
      const l = own || (this.parentElement && this.parentElement.closest("[lang]") || document.documentElement).lang || "fr";
      return l.toLowerCase().startsWith("en") ? "en" : "fr";
    }
    get _view() {
      return this.getAttribute("view") === "month" ? "month" : "list";
    }
    _filters() {
      const a = (n) => (this.getAttribute(n) || "").trim();
      const lim = parseInt(a("limit"), 10);
      return {
        q: a("q"), category: a("category"), venue: a("venue"), source: a("source"), territory: a("territory"),
        near: a("near"), radius: a("radius-km"), from: a("from"), to: a("to"), bbox: a("bbox"),
        limit: lim >= 1 && lim <= 1000 ? lim : 10,
      };
    }
    _range() {
      if (this._view !== "month") return null;
      if (!this._month) {
        const m = /^(\d{4})-(\d{2})/.exec(this.getAttribute("from") || "");
        const n = new Date();
        this._month = m ? [Number(m[1]), Number(m[2]) - 1] : [n.getFullYear(), n.getMonth()];
      }
      const [y, m] = this._month;
      const from = y + "-" + pad(m + 1) + "-01";
      const next = new Date(Date.UTC(y, m + 1, 1));
      return [from, next.getUTCFullYear() + "-" + pad(next.getUTCMonth() + 1) + "-01"];
    }
    _shift(n) {
      const [y, m] = this._month;
      const d = new Date(Date.UTC(y, m + n, 1));
      this._month = [d.getUTCFullYear(), d.getUTCMonth()];
      this._load();
    }
    async _load() {
      const seq = ++this._seq;
      const lang = this._lang;
      const t = T[lang];
      const f = this._filters();
      const range = this._range();
      this._frame(t, lang, range);
      if (!BABILLARD_STATIC) {
        const base = this._base;
        brandOf(base).then((b) => {
          if (this._base === base) this._brand(b);
        });
      }
      const body = this._body;
      body.setAttribute("aria-busy", "true");
      body.replaceChildren(h("p", { class: "st", role: "status" }, t.loading));
      let events;
      try {
        events = BABILLARD_STATIC ? await this._static(f, range) : await this._live(f, range);
      } catch (_) {
        if (seq !== this._seq) return;
        body.removeAttribute("aria-busy");
        body.replaceChildren(h("p", { class: "st", role: "status" }, t.error));
        return;
      }
      if (seq !== this._seq) return;
      performance.mark("babillard:data");
      events = events.map((e) => localize(e, lang));
      body.removeAttribute("aria-busy");
      body.replaceChildren(range ? this._month_view(events, t, lang) : this._list_view(events, t, lang));
      performance.mark("babillard:rendered");
      this.dispatchEvent(new CustomEvent("babillard:rendered", { detail: { count: events.length } }));
    }
    async _live(f, range) {
      const p = new URLSearchParams();
      if (f.q) p.set("q", f.q);
      for (const k of ["category", "venue", "source", "territory"]) if (f[k]) p.set(k, f[k]);
      if (f.near) {
        p.set("near", f.near);
        if (f.radius) p.set("radius_km", f.radius);
      }
      if (f.bbox) p.set("bbox", f.bbox);
      if (range) {
        p.set("from", range[0]);
        p.set("to", range[1]);
        p.set("limit", "1000");
      } else {
        if (f.from) p.set("from", f.from);
        if (f.to) p.set("to", f.to);
        p.set("limit", String(f.limit));
      }
      const r = await fetch(this._base + "api/v1/events?" + p, { credentials: "omit", mode: "cors" });
      if (!r.ok) throw new Error("HTTP " + r.status);
      const j = await r.json();
      return Array.isArray(j.events) ? j.events : [];
    }
    async _static(f, range) {
      const url = this._base + "api/v1/events.json";
      if (!staticData.has(url)) {
        staticData.set(url, fetch(url, { credentials: "omit", mode: "cors" }).then((r) => {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        }));
      }
      let all;
      try {
        all = (await staticData.get(url)).events || [];
      } catch (e) {
        staticData.delete(url);
        throw e;
      }
      const cats = list(f.category), venues = list(f.venue), sources = list(f.source), territories = list(f.territory);
      const q = fold(f.q).split(/\s+/).filter(Boolean);
      let near = null;
      if (f.near) {
        const [la, lo] = f.near.split(",").map(Number);
        const rad = f.radius ? Number(f.radius) : 10;
        if (isFinite(la) && isFinite(lo) && isFinite(rad)) near = [la, lo, rad];
      }
      const bbox = f.bbox ? f.bbox.split(",").map(Number) : null;
      const lo = range ? range[0] : f.from.slice(0, 10);
      const hi = range ? range[1] : f.to.slice(0, 10);
      const now = Date.now();
      const out = all.filter((ev) => {
        if (cats.length && !(ev.categories || []).some((c) => cats.includes(c))) return false;
        if (venues.length && !(ev.venue && venues.includes(ev.venue.id))) return false;
        if (sources.length && !(ev.sources || []).some((s) => sources.includes(s.source))) return false;
        if (territories.length && !(ev.territories || []).some((x) => territories.includes(x))) return false;
        if (q.length) {
          const trs = Object.values(ev.translations || {}).map((x) => x.title + " " + (x.description || ""));
          const text = fold([ev.title, ev.description, ev.venue && ev.venue.name, ev.venue && ev.venue.city].concat(trs).join(" "));
          if (!q.every((w) => text.includes(w))) return false;
        }
        if (near) {
          const v = ev.venue;
          if (!v || v.lat == null || v.lon == null || haversine(near[0], near[1], v.lat, v.lon) > near[2]) return false;
        }
        if (bbox && bbox.length === 4) {
          const v = ev.venue;
          if (!v || v.lat == null || v.lon == null || v.lon < bbox[0] || v.lat < bbox[1] || v.lon > bbox[2] || v.lat > bbox[3]) return false;
        }
        const [a, b] = span(ev);
        if (hi && a >= hi) return false;
        if (lo) return b >= lo;
        return new Date(ev.end || ev.start).getTime() > now;
      });
      return range ? out : out.slice(0, f.limit);
    }
    _frame(t, lang, range) {
      const key = lang + "|" + (range ? "m" : "l");
      if (this._key === key) {
        if (range) this._title.textContent = this._monthLabel(lang);
        this._all.href = this._portal(lang);
        return;
      }
      this._key = key;
      this._all = h("a", { href: this._portal(lang), class: "all" }, t.all);
      const kids = this._sheet ? [] : [h("style", null, CSS)];
      const root = h("div", { class: "b", part: "root", lang, role: "region", "aria-label": t.events, onkeydown: (e) => this._keys(e) });
      if (range) {
        this._title = h("h3", { "aria-live": "polite" }, this._monthLabel(lang));
        root.append(h("div", { class: "n" },
          h("button", { type: "button", class: "prev", "aria-label": t.prev, title: t.prev, onclick: () => this._shift(-1) }, "‹"),
          this._title,
          h("button", { type: "button", class: "next", "aria-label": t.next, title: t.next, onclick: () => this._shift(1) }, "›")));
      }
      this._body = h("div", { class: "body" });
      this._hd = h("p", { class: "hd", hidden: true });
      root.prepend(this._hd);
      root.append(this._body, h("p", { class: "f" }, this._all));
      kids.push(root);
      this._root.replaceChildren(...kids);
      this._rootEl = root;
      if (this._brandInfo) this._brand(this._brandInfo);
    }
    // A calendar's branding: its accent (under the host page's own
    // --babillard-accent, which wins), its logo and name atop the list.
    _brand(b) {
      this._brandInfo = b;
      const root = this._rootEl;
      if (!root || !this._hd) return;
      const cal = b && b.id ? b : null;
      if (cal && /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(cal.accent || "")) root.style.setProperty("--babillard-brand", cal.accent);
      else root.style.removeProperty("--babillard-brand");
      if (!cal) {
        this._hd.hidden = true;
        this._hd.replaceChildren();
        return;
      }
      const kids = [h("span", null, cal.name)];
      // From the server the widget reads (the JSON's absolute URL names
      // the public address, which a test or a mirror may not be).
      if (cal.logo) kids.unshift(h("img", { src: this._base + "logo", alt: "" }));
      this._hd.replaceChildren(...kids);
      this._hd.hidden = false;
    }
    _keys(e) {
      if (this._view !== "month" || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === "PageUp" || e.key === "PageDown") {
        e.preventDefault();
        this._shift(e.key === "PageUp" ? -1 : 1);
      }
    }
    _portal(lang) {
      const p = new URLSearchParams();
      const f = this._filters();
      if (f.q) p.set("q", f.q);
      for (const k of ["category", "venue", "source", "territory"]) if (f[k]) p.set(k, f[k]);
      p.set("lang", lang);
      return this._base + (BABILLARD_STATIC ? "" : "?" + p);
    }
    _monthLabel(lang) {
      const [y, m] = this._month;
      return fmt(lang + "-CA", "UTC", { month: "long", year: "numeric" }).format(new Date(Date.UTC(y, m, 1)));
    }
    _href(ev, lang) {
      return this._base + "events/" + encodeURIComponent(ev.id) + (BABILLARD_STATIC ? "/" : "?lang=" + lang);
    }
    _when(ev, t, lang, withDate) {
      const loc = lang + "-CA";
      const tz = ev.timezone;
      const s = new Date(ev.start);
      const [first, last] = span(ev);
      const dayF = fmt(loc, tz, { weekday: "long", day: "numeric", month: "long" });
      const timeF = fmt(loc, tz, { hour: "numeric", minute: "2-digit" });
      let text;
      if (ev.all_day) {
        text = first === last ? (withDate ? dayF.format(s) : t.allday) : dayF.format(s) + " – " + dayF.format(new Date(new Date(ev.end).getTime() - 1));
      } else {
        text = (withDate || first !== last ? dayF.format(s) + ", " : "") + timeF.format(s);
        if (ev.end) {
          const e = new Date(ev.end);
          text += " – " + (first !== last ? dayF.format(e) + ", " : "") + timeF.format(e);
        }
      }
      return h("time", { datetime: ev.start }, text);
    }
    _item(ev, t, lang, withDate) {
      const st = ev.status === "cancelled" || ev.status === "postponed" ? ev.status : null;
      const v = ev.venue;
      return h("li", { class: "e" + (st === "cancelled" ? " c" : "") },
        h("p", null, st && h("span", { class: "x " + st }, t[st]), h("a", { class: "t", href: this._href(ev, lang) }, ev.title)),
        h("p", { class: "w" }, this._when(ev, t, lang, withDate)),
        v && h("p", { class: "v" }, v.name + (v.city && v.name.indexOf(v.city) < 0 ? ", " + v.city : "")));
    }
    _list_view(events, t, lang) {
      if (!events.length) return h("p", { class: "st" }, t.empty);
      const groups = new Map();
      for (const ev of events) {
        const day = span(ev)[0];
        if (!groups.has(day)) groups.set(day, []);
        groups.get(day).push(ev);
      }
      const out = document.createDocumentFragment();
      for (const [day, evs] of groups) {
        const [y, m, d] = day.split("-").map(Number);
        const label = fmt(lang + "-CA", "UTC", { weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(new Date(Date.UTC(y, m - 1, d)));
        out.append(h("h3", null, h("time", { datetime: day }, label)), h("ul", { role: "list" }, evs.map((ev) => this._item(ev, t, lang, false))));
      }
      return out;
    }
    _month_view(events, t, lang) {
      const [y, m] = this._month;
      const byDay = new Map();
      const inMonth = [];
      const first = y + "-" + pad(m + 1) + "-01";
      const days = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
      const lastDay = y + "-" + pad(m + 1) + "-" + pad(days);
      for (const ev of events) {
        let [a, b] = span(ev);
        if (b < first || a > lastDay) continue;
        inMonth.push(ev);
        if (a < first) a = first;
        for (let d = a, i = 0; d <= b && d <= lastDay && i < 31; d = addDays(d, 1), i++) {
          if (!byDay.has(d)) byDay.set(d, []);
          byDay.get(d).push(ev);
        }
      }
      const mondayFirst = lang === "fr";
      const lead = (new Date(Date.UTC(y, m, 1)).getUTCDay() + (mondayFirst ? 6 : 0)) % 7;
      const wk = fmt(lang + "-CA", "UTC", { weekday: "short" });
      const wkLong = fmt(lang + "-CA", "UTC", { weekday: "long" });
      const head = [];
      for (let i = 0; i < 7; i++) {
        const d = new Date(Date.UTC(2024, 0, (mondayFirst ? 1 : 7) + i));
        head.push(h("th", { scope: "col", abbr: wkLong.format(d) }, wk.format(d)));
      }
      const now = new Date();
      const today = now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
      const rows = [];
      let cells = [];
      for (let i = 0; i < lead; i++) cells.push(h("td", { class: "o" }));
      const dayF = fmt(lang + "-CA", "UTC", { weekday: "long", day: "numeric", month: "long" });
      for (let d = 1; d <= days; d++) {
        const key = y + "-" + pad(m + 1) + "-" + pad(d);
        const evs = byDay.get(key) || [];
        cells.push(h("td", { "aria-current": key === today ? "date" : null },
          h("span", { class: "d", "aria-label": dayF.format(new Date(Date.UTC(y, m, d))) }, String(d)),
          evs.length ? h("span", { class: "dot", "aria-hidden": "true" }, "•".repeat(Math.min(evs.length, 3))) : null,
          evs.map((ev) => { const st = ev.status === "cancelled" || ev.status === "postponed" ? ev.status : null; const label = st ? t[st] + " : " + ev.title : null; return h("a", { href: this._href(ev, lang), title: label || ev.title, "aria-label": label, class: st === "cancelled" ? "c" : null }, ev.title); })));
        if (cells.length === 7) {
          rows.push(h("tr", null, cells));
          cells = [];
        }
      }
      if (cells.length) {
        while (cells.length < 7) cells.push(h("td", { class: "o" }));
        rows.push(h("tr", null, cells));
      }
      const frag = document.createDocumentFragment();
      frag.append(h("table", { class: "grid" }, h("caption", { class: "sr" }, this._monthLabel(lang)), h("thead", null, h("tr", null, head)), h("tbody", null, rows)));
      frag.append(h("div", { class: "ag" }, inMonth.length ? h("ul", { role: "list" }, inMonth.map((ev) => this._item(ev, t, lang, true))) : h("p", { class: "st" }, t.empty)));
      return frag;
    }
  }
  customElements.define("babillard-events", BabillardEvents);
})();
