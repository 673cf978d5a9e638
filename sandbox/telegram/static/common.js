// Shared by chat.js (the applicant's page) and staff.js (the staff forum page): DOM helpers,
// safe rendering of text + entities, and the long-poll loop on the emulator's /changes API.
// Safety: content is rendered only with createElement/textContent from plain text + entities
// (an allowlist of entity types); raw HTML is never inserted.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatTime(date) {
  return new Date(date * 1000).toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- text with entities (UTF-16 offsets == JS string indices) -------------------------------

const SAFE_SCHEMES = ["http:", "https:", "tg:", "mailto:"];

function safeLink(url, label) {
  let parsed = null;
  try { parsed = new URL(url); } catch (err) { parsed = null; }
  if (!parsed || !SAFE_SCHEMES.includes(parsed.protocol)) return el("span", null, label);
  const a = el("a", null, label);
  a.href = parsed.href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

// onCommand(text): what a click on a /command does (nothing when not given).
function entityNode(entity, text, onCommand) {
  switch (entity.type) {
    case "bold": return el("strong");
    case "italic": return el("em");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const span = el("span", "spoiler");
      span.title = "Ketuk untuk melihat";
      span.addEventListener("click", () => span.classList.add("revealed"));
      return span;
    }
    case "text_link": return safeLink(entity.url || "", "");
    case "url": return safeLink(text, "");
    case "bot_command": {
      const span = el("span", "cmd");
      if (onCommand) span.addEventListener("click", () => onCommand(text.split("@")[0]));
      return span;
    }
    default: return el("span");
  }
}

function renderEntities(text, entities, onCommand) {
  const sorted = (entities || [])
    .filter((e) => Number.isInteger(e.offset) && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const build = (start, end, items) => {
    const frag = document.createDocumentFragment();
    let pos = start;
    let i = 0;
    while (i < items.length) {
      const e = items[i];
      const eStart = Math.max(e.offset, pos);
      const eEnd = Math.min(e.offset + e.length, end);
      const inner = [];
      i += 1;
      while (i < items.length && items[i].offset < eEnd) inner.push(items[i++]);
      if (eStart >= eEnd) continue;
      if (eStart > pos) frag.append(text.slice(pos, eStart));
      const node = entityNode(e, text.slice(eStart, eEnd), onCommand);
      const target = e.type === "pre" ? node.appendChild(el("code")) : node;
      target.append(build(eStart, eEnd, inner));
      frag.append(node);
      pos = eEnd;
    }
    if (pos < end) frag.append(text.slice(pos, end));
    return frag;
  };
  return build(0, text.length, sorted);
}

// ---- long-poll loop -------------------------------------------------------------------------

// Polls for ever. request() gives each round's {url, signal}; onData(data) handles an answer
// (returning false when it was stale). A refused request shows refusedText (when given) for 3 s;
// a network failure shows "connection lost" for 2 s; an aborted request (signal) starts over.
async function pollChanges(request, onData, refusedText) {
  for (;;) {
    const { url, signal } = request();
    try {
      const response = await fetch(url, { cache: "no-store", signal });
      if (!response.ok && refusedText) {
        $("status").textContent = refusedText;
        await sleep(3000);
        continue;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (onData(data) !== false) $("status").textContent = "Tersambung";
    } catch (err) {
      if (err.name === "AbortError") continue;
      $("status").textContent = "Koneksi terputus, mencoba lagi…";
      await sleep(2000);
    }
  }
}
