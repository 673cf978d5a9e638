// Staff forum view for the Telegram emulator: read topics and write as a staff member.
// Safety: message content is rendered only with createElement/textContent from plain text +
// entities (an allowlist of entity types); raw HTML is never inserted.
"use strict";

const params = new URLSearchParams(location.search);
const chatId = Number(params.get("chat") || -1001000000001);
const SENDER_KEY = "prakerja-staff-sender";
const COLORS = { 7322096: "#6fb9f0", 16766590: "#ffd67e", 13338331: "#cb86db",
  9367192: "#8eee98", 16749490: "#ff93b2", 16478047: "#fb6f5f" };
const MEDIA = { photo: "📷 Foto", document: "📄 Dokumen", voice: "🎤 Pesan suara",
  video: "🎬 Video", audio: "🎵 Audio", sticker: "Stiker", animation: "🎞️ GIF",
  location: "📍 Lokasi", contact: "👤 Kontak", video_note: "⭕ Video bulat" };

let thread = params.get("thread") || "general"; // "general" or a topic id (string)
let version = -1;
let controller = null;
let replyTo = null;
let members = [];
let topics = [];
$("group-id").textContent = String(chatId);

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
}

// ---- rendering ------------------------------------------------------------------------------

function personName(user) {
  if (!user) return "?";
  return user.is_bot ? "Asisten Prakerja (bot)" : user.first_name || String(user.id);
}

function serviceText(msg) {
  const { type, data } = msg.service;
  const who = personName(msg.from);
  switch (type) {
    case "forum_topic_created": return `${who} membuat topik “${data.name}”`;
    case "forum_topic_edited": return data.name ? `${who} mengganti nama topik menjadi “${data.name}”` : `${who} mengubah ikon topik`;
    case "forum_topic_closed": return `${who} menutup topik`;
    case "forum_topic_reopened": return `${who} membuka kembali topik`;
    case "new_chat_members": return `${data.map(personName).join(", ")} bergabung`;
    case "left_chat_member": return `${personName(data)} keluar dari grup`;
    default: return type;
  }
}

function snippet(msg) {
  if (!msg) return "";
  return msg.text || MEDIA[msg.kind] || msg.kind;
}

function messageNode(msg, byId) {
  if (msg.service) return el("div", "notice", serviceText(msg));
  const row = el("div", `row ${msg.from_bot ? "bot" : "staff"}`);
  const bubble = el("div", "bubble");
  bubble.append(el("span", "sender", personName(msg.from)));
  const quoted = byId.get(msg.reply_to_message_id);
  if (quoted && !quoted.service) {
    bubble.append(el("span", "quote", `${personName(quoted.from)}: ${snippet(quoted)}`.slice(0, 120)));
  }
  if (msg.forward_origin) {
    const origin = msg.forward_origin.sender_user || {};
    bubble.append(el("span", "forwarded", `Diteruskan dari ${personName(origin)}`));
  }
  if (msg.kind === "sticker") {
    bubble.append(el("span", "media", `${(msg.sticker && msg.sticker.emoji) || "🙂"} Stiker`));
  } else if (msg.kind === "document" && msg.document) {
    bubble.append(el("span", "media", `📄 ${msg.document.file_name || "Dokumen"}`));
  } else if (MEDIA[msg.kind]) {
    bubble.append(el("span", "media", MEDIA[msg.kind]));
  }
  if (msg.text) bubble.append(renderEntities(msg.text, msg.entities));
  const meta = el("span", "meta");
  const reply = el("button", null, "Balas");
  reply.type = "button";
  reply.addEventListener("click", () => startReply(msg));
  meta.append(reply, el("span", null, (msg.edited ? "diedit · " : "") + formatTime(msg.date)));
  bubble.append(meta);
  row.append(bubble);
  return row;
}

function renderTopics() {
  const list = $("topic-list");
  list.replaceChildren();
  const items = [{ id: "general", name: "General", color: "#9aa5ad", closed: false, count: null },
    ...topics.map((t) => ({ id: String(t.message_thread_id), name: t.name,
      color: COLORS[t.icon_color] || "#6fb9f0", closed: t.is_closed, count: t.message_count }))];
  for (const item of items) {
    const li = el("li");
    const button = el("button");
    button.type = "button";
    button.setAttribute("aria-current", String(item.id === thread));
    const dot = el("span", "dot");
    dot.style.background = item.color;
    button.append(dot, el("span", "topic-name", item.name));
    if (item.count !== null) button.append(el("span", "count", String(item.count)));
    if (item.closed) button.append(el("span", "badge closed", "Ditutup"));
    button.addEventListener("click", () => openThread(item.id));
    li.append(button);
    list.append(li);
  }
}

function renderThread(data) {
  const topic = topics.find((t) => String(t.message_thread_id) === thread);
  if (thread !== "general" && !topic) { // deleted meanwhile
    openThread("general");
    return;
  }
  $("thread-title").textContent = topic ? topic.name : "General";
  const badge = $("thread-state");
  badge.textContent = topic && topic.is_closed ? "Ditutup" : "Terbuka";
  badge.className = topic && topic.is_closed ? "badge closed" : "badge";
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const byId = new Map(data.messages.map((m) => [m.message_id, m]));
  box.replaceChildren(...data.messages.map((m) => messageNode(m, byId)));
  if (!data.messages.length) box.append(el("p", "empty", "Belum ada pesan di topik ini."));
  if (nearBottom || version < 0) box.scrollTop = box.scrollHeight;
  $("typing").hidden = !data.typing;
}

function renderSenders() {
  const select = $("sender");
  const staff = members.filter((m) => !m.user.is_bot);
  const wanted = select.value || localStorage.getItem(SENDER_KEY);
  select.replaceChildren(...staff.map((m) => {
    const option = el("option", null, `${m.user.first_name}${m.status === "creator" ? " (pemilik)" : m.status === "administrator" ? " (admin)" : ""}`);
    option.value = String(m.user.id);
    return option;
  }));
  if (staff.some((m) => String(m.user.id) === wanted)) select.value = wanted;
  const none = staff.length === 0;
  $("input").disabled = none;
  document.querySelector(".composer button").disabled = none;
}

// ---- actions --------------------------------------------------------------------------------

function startReply(msg) {
  replyTo = msg.message_id;
  $("reply-text").textContent = `Membalas ${personName(msg.from)}: ${snippet(msg)}`;
  $("reply-bar").hidden = false;
  $("input").focus();
}

function cancelReply() {
  replyTo = null;
  $("reply-bar").hidden = true;
}

function openThread(id) {
  thread = id;
  version = -1;
  cancelReply();
  const url = new URL(location.href);
  url.searchParams.set("thread", id);
  history.replaceState(null, "", url);
  renderTopics();
  if (controller) controller.abort();
}

async function send(text) {
  const trimmed = text.trim();
  if (!trimmed) return;
  const body = { user_id: Number($("sender").value), text: trimmed,
    kind: trimmed.startsWith("/") ? "command" : "text" };
  if (thread !== "general") body.message_thread_id = Number(thread);
  if (replyTo) body.reply_to_message_id = replyTo;
  localStorage.setItem(SENDER_KEY, $("sender").value);
  try {
    const response = await fetch(`/sim/groups/${chatId}/messages`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    cancelReply();
  } catch (err) {
    toast(`Pesan tidak terkirim: ${err.message}`);
  }
}

// ---- long-poll loop -------------------------------------------------------------------------

function pollLoop() {
  let asked = thread;
  return pollChanges(
    () => {
      controller = new AbortController();
      asked = thread;
      const url = `/sim/groups/${chatId}/changes?since_version=${version}&thread=${asked}&timeout=25`;
      return { url, signal: controller.signal };
    },
    (data) => {
      if (asked !== thread) return false; // switched topic meanwhile
      $("group-title").textContent = data.chat.title;
      topics = data.topics;
      members = data.members;
      renderTopics();
      renderSenders();
      renderThread(data);
      version = data.version;
      return true;
    },
    "Grup staf belum ada — jalankan emulator dengan --staff-group",
  );
}

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  send($("input").value);
  $("input").value = "";
  $("input").focus();
});
$("reply-cancel").addEventListener("click", cancelReply);
for (const button of document.querySelectorAll(".quick button")) {
  button.addEventListener("click", () => {
    if (button.dataset.fill) {
      $("input").value = button.dataset.command;
      $("input").focus();
    } else {
      send(button.dataset.command);
    }
  });
}

renderTopics();
pollLoop();
