// Web chat for the Telegram emulator: acts as one applicant through the /sim API.
// Safety: bot content is rendered only with createElement/textContent from the message's
// plain text + entities (an allowlist of entity types); raw HTML is never inserted.
"use strict";

const USER_KEY = "prakerja-sim-user-id";
const params = new URLSearchParams(location.search);
const firstName = params.get("name") || "Pelamar Uji";
const defaultPhone = params.get("phone") || "";

function loadUserId() {
  // ?user=123456789 picks a fixed applicant (handy for demos and screenshots).
  const forced = params.get("user");
  if (forced && /^\d{5,12}$/.test(forced)) return Number(forced);
  const stored = localStorage.getItem(USER_KEY);
  if (stored && /^\d{9}$/.test(stored)) return Number(stored);
  const fresh = 100000000 + Math.floor(Math.random() * 900000000);
  localStorage.setItem(USER_KEY, String(fresh));
  return fresh;
}

const userId = loadUserId();
const hideKey = `prakerja-sim-hide-${userId}`;
let hideUpTo = Number(localStorage.getItem(hideKey) || 0);
let version = -1;
let lastMessages = [];
const rendered = new Map(); // message_id -> {sig, el}
const pendingCallbacks = new Set();
let typingTimer = null;

const list = $("messages");
$("user-id").textContent = String(userId);

// ---- sending ------------------------------------------------------------------------------

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

async function sendMessage(payload) {
  try {
    await post("/sim/updates/message", {
      user_id: userId, first_name: firstName, language_code: "id", ...payload,
    });
  } catch (err) {
    toast("Gagal mengirim pesan. Periksa apakah emulator berjalan.");
  }
}

function sendText(text) {
  const trimmed = text.trim();
  if (!trimmed) return;
  sendMessage({ text: trimmed, kind: trimmed.startsWith("/") ? "command" : "text" });
}

async function pressInlineButton(messageId, data) {
  try {
    const result = await post("/sim/updates/callback", {
      user_id: userId, message_id: messageId, data,
    });
    pendingCallbacks.add(result.callback_query_id);
  } catch (err) {
    toast("Tombol tidak dapat ditekan.");
  }
}

function shareContact() {
  const dialog = $("contact-dialog");
  const phone = $("phone");
  phone.value = defaultPhone;
  dialog.returnValue = "";
  dialog.showModal();
  dialog.addEventListener("close", function onClose() {
    dialog.removeEventListener("close", onClose);
    const number = phone.value.trim();
    if (dialog.returnValue !== "share" || !number) return;
    sendMessage({
      kind: "contact",
      contact: { phone_number: number, first_name: firstName, user_id: userId },
    });
  });
}

// ---- message bubbles ------------------------------------------------------------------------

const MEDIA_LABELS = {
  photo: "📷 Foto", voice: "🎤 Pesan suara", video: "🎬 Video", audio: "🎵 Audio",
  document: "📄 Dokumen", animation: "🎞️ GIF", video_note: "⭕ Video bulat",
  poll: "📊 Polling", dice: "🎲 Dadu", raw: "⚙️ Pembaruan mentah",
};

function bubbleBody(msg) {
  const body = el("div", "bubble");
  if (msg.kind === "sticker") {
    body.append(el("span", "sticker", (msg.sticker && msg.sticker.emoji) || "🙂"));
    body.title = "Stiker";
  } else if (msg.kind === "location" && msg.location) {
    body.append(el("span", "media", "📍 Lokasi"));
    body.append(`${msg.location.latitude}, ${msg.location.longitude}`);
  } else if (msg.kind === "contact" && msg.contact) {
    body.append(el("span", "media", "👤 Kontak dibagikan"));
    body.append(`${msg.contact.first_name}: ${msg.contact.phone_number}`);
  } else if (MEDIA_LABELS[msg.kind]) {
    body.append(el("span", "media", MEDIA_LABELS[msg.kind]));
    if (msg.from_bot && msg.photo) {
      // Show the reference only: the page never loads remote resources.
      const ref = el("span", "meta", msg.photo);
      ref.style.textAlign = "left";
      body.append(ref);
    }
  }
  if (msg.forward_origin) {
    body.prepend(el("span", "meta", "Diteruskan"));
  }
  if (msg.text) body.append(renderEntities(msg.text, msg.entities, sendText));
  const meta = el("span", "meta", (msg.edited ? "diedit · " : "") + formatTime(msg.date));
  body.append(meta);
  return body;
}

function inlineKeyboard(msg) {
  const rows = msg.reply_markup && msg.reply_markup.inline_keyboard;
  if (!Array.isArray(rows)) return null;
  const box = el("div", "inline-kb");
  for (const row of rows) {
    const line = el("div", "kb-row");
    for (const button of row) {
      if (button.url) {
        line.append(safeLink(button.url, `${button.text} ↗`));
        continue;
      }
      const b = el("button", null, button.text);
      b.type = "button";
      if (typeof button.callback_data === "string") {
        b.addEventListener("click", () => pressInlineButton(msg.message_id, button.callback_data));
      } else {
        b.disabled = true;
        b.title = "Jenis tombol ini tidak didukung di halaman uji";
      }
      line.append(b);
    }
    box.append(line);
  }
  return box;
}

function messageRow(msg) {
  const row = el("div", `row ${msg.from_bot ? "bot" : "user"}`);
  row.dataset.id = String(msg.message_id);
  row.append(bubbleBody(msg));
  const kb = msg.from_bot ? inlineKeyboard(msg) : null;
  if (kb) row.append(kb);
  return row;
}

function renderMessages(messages) {
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const visible = messages.filter((m) => m.message_id > hideUpTo && !m.deleted);
  const keep = new Set(visible.map((m) => m.message_id));
  for (const [id, entry] of rendered) {
    if (!keep.has(id)) { entry.el.remove(); rendered.delete(id); }
  }
  let previous = null;
  for (const msg of visible) {
    const sig = JSON.stringify(msg);
    const entry = rendered.get(msg.message_id);
    let node = entry ? entry.el : null;
    if (!entry || entry.sig !== sig) {
      const fresh = messageRow(msg);
      if (node) node.replaceWith(fresh);
      node = fresh;
      rendered.set(msg.message_id, { sig, el: node });
    }
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (expected !== node) list.insertBefore(node, expected);
    previous = node;
  }
  $("empty").hidden = visible.length > 0;
  if (!$("empty").hidden) list.prepend($("empty"));
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function renderReplyKeyboard(messages) {
  const box = $("reply-keyboard");
  box.replaceChildren();
  let keyboard = null;
  let seenUserAfter = false;
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (m.deleted) continue;
    if (!m.from_bot) { seenUserAfter = true; continue; }
    const markup = m.reply_markup || {};
    if (markup.remove_keyboard) break;
    if (Array.isArray(markup.keyboard)) {
      if (!(markup.one_time_keyboard && seenUserAfter)) keyboard = markup;
      break;
    }
  }
  box.hidden = !keyboard;
  $("input").placeholder = (keyboard && keyboard.input_field_placeholder) || "Tulis pesan…";
  if (!keyboard) return;
  for (const row of keyboard.keyboard) {
    const line = el("div", "kb-row");
    for (const button of row) {
      const label = typeof button === "string" ? button : button.text;
      const b = el("button", null, label);
      b.type = "button";
      b.addEventListener("click", () => {
        if (button.request_contact) shareContact();
        else if (button.request_location) sendMessage({ kind: "location" });
        else sendText(label);
      });
      line.append(b);
    }
    box.append(line);
  }
}

function renderTyping(data) {
  const action = data.last_action;
  const lastBot = [...data.messages].reverse().find((m) => m.from_bot);
  const answered = lastBot && action && lastBot.date >= Math.floor(action.ts);
  const show = Boolean(data.typing && !answered);
  $("typing").hidden = !show;
  clearTimeout(typingTimer);
  // Telegram shows a chat action for at most 5 s unless it is repeated.
  if (show) typingTimer = setTimeout(() => { $("typing").hidden = true; }, 5000);
}

function handleCallbacks(callbacks) {
  for (const cb of callbacks) {
    if (!pendingCallbacks.has(cb.id)) continue;
    pendingCallbacks.delete(cb.id);
    if (cb.text) toast(cb.text, cb.show_alert);
  }
}

let toastTimer = null;
function toast(text, alert = false) {
  const box = $("toast");
  box.textContent = text;
  box.className = alert ? "toast alert" : "toast";
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, alert ? 6000 : 3000);
}

// ---- long-poll loop -------------------------------------------------------------------------

function pollLoop() {
  return pollChanges(
    () => ({ url: `/sim/chats/${userId}/changes?since_version=${version}&timeout=25` }),
    (data) => {
      if (data.version < version) { // emulator was reset: start over
        rendered.forEach((entry) => entry.el.remove());
        rendered.clear();
      }
      version = data.version;
      lastMessages = data.messages;
      renderMessages(data.messages);
      renderReplyKeyboard(data.messages);
      renderTyping(data);
      handleCallbacks(data.callbacks || []);
    },
  );
}

// ---- wiring ---------------------------------------------------------------------------------

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("input");
  sendText(input.value);
  input.value = "";
  input.focus();
});

for (const button of document.querySelectorAll(".tools button")) {
  button.addEventListener("click", () => {
    const kind = button.dataset.kind;
    sendMessage(kind === "sticker" ? { kind, emoji: "👍" } : { kind });
  });
}

$("restart").addEventListener("click", (event) => {
  event.preventDefault();
  const ids = lastMessages.map((m) => m.message_id);
  hideUpTo = Math.max(hideUpTo, ...ids, 0);
  localStorage.setItem(hideKey, String(hideUpTo));
  renderMessages(lastMessages);
  sendText("/start");
});

pollLoop();
