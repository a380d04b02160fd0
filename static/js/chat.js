// Circles chat client: one room per page (circle or 1:1 thread), plus the unread badges of the home page.
// Contract: docs/protocol.md. The database is the record; the socket is a fast hint,
// so every unacknowledged send is kept (memory + sessionStorage) and resent with the same client_id.
(() => {
  "use strict";

  // ---------------------------------------------------------------- home page: unread badges
  const unreadRoot = document.querySelector("[data-unread-url]");
  if (unreadRoot) {
    const url = unreadRoot.dataset.unreadUrl;
    const show = (selector, counts) => {
      document.querySelectorAll(selector).forEach((badge) => {
        const id = badge.dataset.unreadCircle || badge.dataset.unreadThread;
        const count = (counts && counts[id]) || 0;
        badge.querySelector(".unread-count").textContent = count > 99 ? "99+" : String(count);
        badge.hidden = count === 0;
      });
    };
    const poll = async () => {
      if (document.visibilityState === "hidden") return;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        show("[data-unread-circle]", data.circles);
        show("[data-unread-thread]", data.threads);
      } catch (_) {
        // Offline for a moment: the next tick tries again.
      }
    };
    poll();
    setInterval(poll, 10000);
    window.addEventListener("focus", poll);
    document.addEventListener("visibilitychange", poll);
  }

  // ---------------------------------------------------------------- chat room
  const configNode = document.getElementById("chat-config");
  if (!configNode) return;
  const config = JSON.parse(configNode.textContent);
  const strings = JSON.parse(document.getElementById("chat-strings").textContent);
  // The circle library (coaching/library), when the page has it: how to pin, and what is pinned.
  const libraryNode = document.getElementById("library-config");
  const library = libraryNode ? JSON.parse(libraryNode.textContent) : null;
  if (library) Object.assign(strings, library.strings);
  const pins = new Map(library ? Object.entries(library.pins).map(([id, by]) => [Number(id), by]) : []); // id -> pinner
  const me = config.me;
  const EMOJI = ["👍", "❤️", "😂", "🎉", "🙏", "👏"];
  const PING_EVERY = 25000;
  const PONG_WITHIN = 10000;
  const TYPING_EVERY = 3000;
  const TYPING_SHOWN = 4000;
  const READ_EVERY = 1000;
  const PAGE = 50;
  const JUMP_PAGE = 200; // the history API's largest page: reaching a linked old message takes few requests

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("chat-status"),
    statusText: $("chat-status-text"),
    scroller: $("chat-scroller"),
    older: $("chat-older"),
    log: $("chat-log"),
    announcer: $("chat-announcer"),
    typing: $("chat-typing"),
    form: $("chat-composer"),
    context: $("chat-context"),
    contextText: $("chat-context-text"),
    contextCancel: $("chat-context-cancel"),
    error: $("chat-error"),
    notice: $("chat-notice"),
    input: $("chat-input"),
    send: $("chat-send"),
    mentions: $("chat-mentions"),
    count: $("chat-count"),
    chat: $("chat"),
    drop: $("chat-drop"),
    tray: $("chat-tray"),
    fileInput: $("chat-file"),
    attach: $("chat-attach"),
    viewer: $("chat-viewer"),
    viewerImage: $("chat-viewer-image"),
    viewerLink: $("chat-viewer-link"),
  };

  function t(key, values) {
    let text = strings[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.split(`%(${name})s`).join(String(value));
    return text;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function uuid4() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // ---------------------------------------------------------------- people and times
  const people = new Map(config.people.map((p) => [p.id, p]));
  const nameOf = (id, fallback) => (people.get(id) || {}).name || fallback || "?";

  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(config.language, { ...options, timeZone: config.timeZone });
    } catch (_) {
      return new Intl.DateTimeFormat(config.language, options); // an unknown zone: the device's own
    }
  }
  // 24-hour clocks, like every other time on the site.
  const timeFormat = formatter({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const dayTimeFormat = formatter({
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const fullFormat = formatter({ dateStyle: "full", timeStyle: "short" });
  const dayKey = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });

  function shownTime(iso) {
    const when = new Date(iso);
    const sameDay = dayKey.format(when) === dayKey.format(new Date());
    return { text: (sameDay ? timeFormat : dayTimeFormat).format(when), title: fullFormat.format(when) };
  }

  // ---------------------------------------------------------------- state
  const messages = new Map(); // id -> payload
  const nodes = new Map(); // id -> <li>
  const seqs = new Map(); // seq -> id
  const repliesTo = new Map(); // replied id -> Set of ids quoting it
  const reactions = new Map(); // id -> Map(emoji -> Set(user ids))
  const pending = new Map(); // client_id -> {client_id, body, reply_to, error, code}
  const pendingNodes = new Map(); // client_id -> <li>
  let contiguous = 0; // every seq from the first one loaded up to here has been seen
  let highestSeq = 0;
  let floorSeq = config.messages.length ? config.messages[0].seq : 1; // every seq from here up is loaded
  let hasMore = Boolean(config.hasMore);
  let readSeq = config.readSeq;
  let divider = null;
  let dividerKey = Infinity;
  let replyTo = null; // message id
  let editing = null; // message id
  let online = new Set();
  let revealing = false; // a linked message (#message-<id>) is being brought into view
  const storageKey = `circles.chat.pending.${config.room}.${me.id}`;

  function savePending() {
    try {
      const list = Array.from(pending.values(), ({ client_id, body, reply_to, attachments, files }) => ({
        client_id,
        body,
        reply_to,
        attachments,
        files: (files || []).map(({ id, name }) => ({ id, name })),
      }));
      if (list.length) sessionStorage.setItem(storageKey, JSON.stringify(list));
      else sessionStorage.removeItem(storageKey);
    } catch (_) {
      // Private mode or a full quota: memory still holds them for this page's life.
    }
  }

  function loadPending() {
    try {
      return JSON.parse(sessionStorage.getItem(storageKey) || "[]");
    } catch (_) {
      return [];
    }
  }

  // ---------------------------------------------------------------- rendering
  const nearBottom = () => ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight < 80;
  const toBottom = () => {
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
  };

  // A quote shows what the message says, not how it was typed: the text of its first block of rendered
  // (sanitised) HTML, so "**bold**" quotes as "bold". A template's content is inert: nothing loads or runs.
  function firstLine(message) {
    if (message.deleted) return t("deleted");
    if (message.hidden) return t("hidden");
    const rendered = document.createElement("template");
    rendered.innerHTML = message.html || "";
    const blocks = Array.from(rendered.content.childNodes, (node) => node.textContent.replace(/\s+/g, " ").trim());
    const line = blocks.find((text) => text) || "";
    return line.length > 120 ? `${line.slice(0, 119)}…` : line;
  }

  // User text in any script: the browser picks each piece's direction from its first strong letter.
  function userText(tag, className, text) {
    const node = el(tag, className, text);
    node.dir = "auto";
    return node;
  }

  function quoteNode(replyId) {
    const quoted = messages.get(replyId);
    const quote = el("a", "chat-quote");
    quote.href = quoted ? `#seq-${quoted.seq}` : "#";
    const mark = el("span", "chat-quote-mark", "↩ ");
    mark.setAttribute("aria-hidden", "true");
    quote.append(mark);
    if (quoted) {
      quote.append(userText("strong", "", quoted.author.display_name), document.createTextNode(" "), userText("span", "", firstLine(quoted)));
      quote.addEventListener("click", (event) => {
        event.preventDefault();
        const target = nodes.get(quoted.id);
        if (target) {
          target.scrollIntoView({ block: "center" });
          target.classList.add("chat-flash");
          setTimeout(() => target.classList.remove("chat-flash"), 1500);
        }
      });
    } else {
      quote.append(el("span", "", t("earlier_message")));
      quote.removeAttribute("href");
    }
    return quote;
  }

  function canEdit(message) {
    return (
      message.author.id === me.id &&
      !message.deleted &&
      !message.hidden &&
      Date.now() - new Date(message.created_at).getTime() < config.editWindowSeconds * 1000
    );
  }

  function toolButton(label, action, focusKey) {
    const button = el("button", "chat-tool", label);
    button.type = "button";
    button.dataset.action = action;
    button.dataset.focusKey = focusKey || action;
    return button;
  }

  function fillMessage(li, message) {
    const focusKey = li.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    const linkedTarget = li.classList.contains("chat-target");
    li.replaceChildren();
    li.className = linkedTarget ? "chat-msg chat-target" : "chat-msg";
    li.id = `seq-${message.seq}`;
    li.dataset.id = message.id;
    li.dataset.seq = message.seq;
    if (message.author.id === me.id) li.classList.add("chat-mine");
    if (message.deleted) li.classList.add("chat-deleted");
    if (message.hidden) li.classList.add("chat-hidden");

    const meta = el("div", "chat-meta");
    meta.append(userText("span", "chat-author", message.author.display_name));
    if ((people.get(message.author.id) || {}).coach) meta.append(el("span", "badge", t("coach")));
    const time = el("time", "chat-time");
    const shown = shownTime(message.created_at);
    time.dateTime = message.created_at;
    time.textContent = shown.text;
    time.title = shown.title;
    meta.append(time);
    if (message.edited_at && !message.deleted) meta.append(el("span", "chat-edited", `· ${t("edited")}`));
    if (pins.has(message.id) && !message.deleted && !message.hidden) {
      meta.append(el("span", "chat-edited chat-pinned", `· 📌 ${t("library_pinned_by", { name: nameOf(pins.get(message.id)) })}`));
    }
    li.append(meta);

    if (message.reply_to && !message.deleted) li.append(quoteNode(message.reply_to));

    if (message.deleted) {
      li.append(el("p", "chat-tombstone", t("deleted")));
    } else if (message.hidden) {
      li.append(el("p", "chat-tombstone", t("hidden")));
    } else {
      const body = userText("div", "chat-body");
      body.innerHTML = message.html; // sanitised by bleach when stored; never the raw body
      body.querySelectorAll("a[href]").forEach((link) => {
        link.target = "_blank"; // following a link must not close the conversation (and its socket)
        link.rel = "nofollow noopener noreferrer";
      });
      if (message.html) li.append(body);
      if (body.querySelector(`.mention[data-user="${CSS.escape(me.username)}"]`)) li.classList.add("chat-mentions-me");
      if (message.attachments && message.attachments.length) li.append(filesNode(message.attachments));
    }

    const mine = reactions.get(message.id);
    if (!message.deleted && mine && mine.size) {
      const row = el("div", "chat-reactions");
      for (const [emoji, users] of mine) {
        if (!users.size) continue;
        const chip = toolButton(`${emoji} ${users.size}`, "toggle-reaction", `reaction-${emoji}`);
        chip.className = "chat-reaction";
        chip.dataset.emoji = emoji;
        chip.setAttribute("aria-pressed", users.has(me.id) ? "true" : "false");
        chip.setAttribute("aria-label", t("reaction_count", { emoji, count: users.size }));
        chip.title = Array.from(users, (id) => nameOf(id)).join(", ");
        row.append(chip);
      }
      li.append(row);
    }

    if (!message.deleted) {
      const tools = el("div", "chat-tools");
      if (!message.hidden) {
        tools.append(toolButton(t("reply"), "reply"));
        const react = toolButton(t("react"), "react");
        react.setAttribute("aria-expanded", "false");
        tools.append(react);
      }
      if (canEdit(message)) tools.append(toolButton(t("edit"), "edit"));
      if (message.author.id === me.id || config.isCoach) tools.append(toolButton(t("delete"), "delete"));
      if (config.reportUrl && message.author.id !== me.id && !message.hidden) {
        tools.append(dialogButton(toolButton(t("report"), "report")));
      }
      if (config.hideUrl && !message.hidden) tools.append(dialogButton(toolButton(t("hide"), "hide")));
      if (library && !message.hidden) {
        if (!pins.has(message.id)) tools.append(toolButton(t("library_pin"), "pin"));
        else if (pins.get(message.id) === me.id || config.isCoach) tools.append(toolButton(t("library_unpin"), "unpin"));
      }
      if (tools.childElementCount) li.append(tools); // a hidden message may leave nothing to do
    }
    markTabbable(li, li === activeItem);
    if (focusKey) {
      const again = li.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
    }
  }

  // ---------------------------------------------------------------- attachments
  const KIND_LABELS = [
    ["application/pdf", "kind_pdf"],
    ["wordprocessingml", "kind_document"],
    ["opendocument.text", "kind_document"],
    ["spreadsheetml", "kind_spreadsheet"],
    ["presentationml", "kind_presentation"],
    ["text/plain", "kind_text"],
    ["audio/", "kind_audio"],
    ["image/", "kind_image"],
  ];
  const kindLabel = (type) => t((KIND_LABELS.find(([part]) => type.includes(part)) || [null, "kind_file"])[1]);

  function formatSize(bytes) {
    const [value, unit] =
      bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), "megabyte"] : bytes >= 1024 ? [bytes / 1024, "kilobyte"] : [bytes, "byte"];
    try {
      return new Intl.NumberFormat(config.language, { style: "unit", unit, maximumFractionDigits: 1 }).format(value);
    } catch (_) {
      return `${Math.round(value)} ${unit}`;
    }
  }

  // Images open in the page's viewer; every other file is a card that downloads it.
  function filesNode(files) {
    const box = el("div", "chat-files");
    for (const file of files) {
      if (file.kind === "image" && file.thumb_url) {
        const open = el("button", "chat-thumb");
        open.type = "button";
        open.dataset.action = "view-image";
        open.dataset.url = file.url;
        open.dataset.name = file.name;
        open.setAttribute("aria-label", t("open_image", { name: file.name }));
        const img = el("img");
        img.src = file.thumb_url;
        img.alt = file.name;
        img.loading = "lazy";
        if (file.width && file.height) {
          img.width = file.width;
          img.height = file.height;
        }
        open.append(img);
        box.append(open);
        continue;
      }
      const card = el("a", "chat-file");
      card.href = file.url;
      card.setAttribute("download", file.name);
      card.setAttribute("aria-label", t("download", { name: file.name }));
      card.append(el("span", "chat-file-name", file.name), el("span", "chat-file-meta", `${kindLabel(file.type)} · ${formatSize(file.size)}`));
      if (file.kind === "audio") {
        const player = el("audio");
        player.controls = true;
        player.preload = "none";
        player.src = file.url;
        const wrap = el("div", "chat-file");
        wrap.append(card, player);
        box.append(wrap);
      } else {
        box.append(card);
      }
    }
    return box;
  }

  function viewImage(button) {
    if (!ui.viewer || typeof ui.viewer.showModal !== "function") {
      window.open(button.dataset.url, "_blank", "noopener");
      return;
    }
    ui.viewerImage.src = button.dataset.url;
    ui.viewerImage.alt = button.dataset.name;
    ui.viewerLink.href = button.dataset.url;
    ui.viewer.showModal();
  }

  // Files picked, dropped or pasted upload at once, each with its progress and a cancel; the send names them.
  const tray = []; // {id, file, name, xhr, percent, attachment, error}

  function showTray() {
    if (!ui.tray) return;
    ui.tray.replaceChildren();
    ui.tray.hidden = tray.length === 0;
    for (const item of tray) {
      const li = el("li", `chat-tray-item${item.error ? " chat-failed" : ""}`);
      li.dataset.uploadId = item.id;
      li.append(el("span", "chat-tray-name", item.name));
      if (item.error) {
        li.append(el("span", "chat-send-error", item.error));
      } else if (item.attachment) {
        li.dataset.state = "ready";
        li.append(el("span", "chat-file-meta", `${formatSize(item.attachment.size)} · ${t("uploaded")}`));
      } else {
        const bar = el("progress");
        bar.max = 100;
        bar.value = item.percent;
        bar.setAttribute("aria-label", t("uploading", { percent: `${item.percent} %` }));
        li.append(bar);
      }
      const remove = el("button", "link", "×");
      remove.type = "button";
      remove.dataset.action = "remove-upload";
      remove.setAttribute("aria-label", t(item.attachment || item.error ? "remove_file" : "cancel_upload", { name: item.name }));
      li.append(remove);
      ui.tray.append(li);
    }
  }

  function upload(item) {
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.open("POST", config.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", ui.chat.dataset.csrf);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      item.percent = Math.min(99, Math.round((event.loaded / event.total) * 100));
      showTray();
    });
    xhr.addEventListener("load", () => {
      item.xhr = null;
      const answer = xhr.response || {};
      if (xhr.status === 201 && answer.attachment) {
        item.attachment = answer.attachment;
      } else {
        const reason = (answer.error && answer.error.detail) || t("action_failed");
        item.error = t("upload_failed", { name: item.name, reason });
      }
      showTray();
    });
    xhr.addEventListener("error", () => {
      item.xhr = null;
      item.error = t("upload_failed", { name: item.name, reason: t("action_failed") });
      showTray();
    });
    const form = new FormData();
    form.append("file", item.file, item.name);
    xhr.send(form);
  }

  function addFiles(files) {
    if (!config.uploadUrl || editing !== null) return;
    for (const file of files) {
      if (tray.length >= config.maxFiles) {
        showError(t("too_many_files", { max: config.maxFiles }));
        break;
      }
      const name = file.name || `${t("kind_file")}.${(file.type.split("/")[1] || "bin").split(";")[0]}`;
      const item = { id: uuid4(), file, name, xhr: null, percent: 0, attachment: null, error: null };
      tray.push(item);
      if (file.size > config.maxFileBytes) {
        item.error = t("file_too_large", { name, mb: Math.round(config.maxFileBytes / (1024 * 1024)) });
      } else {
        upload(item);
      }
    }
    showTray();
  }

  function removeUpload(id) {
    const index = tray.findIndex((item) => item.id === id);
    if (index < 0) return;
    const [item] = tray.splice(index, 1);
    if (item.xhr) item.xhr.abort(); // an upload already stored is swept by the server later
    showTray();
    ui.input.focus();
  }

  if (ui.tray) {
    ui.attach.addEventListener("click", () => ui.fileInput.click());
    ui.fileInput.addEventListener("change", () => {
      addFiles(Array.from(ui.fileInput.files));
      ui.fileInput.value = "";
    });
    ui.tray.addEventListener("click", (event) => {
      const button = event.target.closest("[data-action='remove-upload']");
      if (button) removeUpload(button.closest("[data-upload-id]").dataset.uploadId);
    });
    let dragDepth = 0;
    const carriesFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
    ui.chat.addEventListener("dragenter", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      dragDepth += 1;
      ui.drop.hidden = false;
    });
    ui.chat.addEventListener("dragover", (event) => {
      if (carriesFiles(event)) event.preventDefault();
    });
    ui.chat.addEventListener("dragleave", () => {
      dragDepth = Math.max(0, dragDepth - 1);
      if (!dragDepth) ui.drop.hidden = true;
    });
    ui.chat.addEventListener("drop", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      dragDepth = 0;
      ui.drop.hidden = true;
      addFiles(Array.from(event.dataTransfer.files));
    });
    ui.input.addEventListener("paste", (event) => {
      const files = event.clipboardData ? Array.from(event.clipboardData.files) : [];
      if (!files.length) return;
      event.preventDefault();
      addFiles(files);
    });
  }

  // The log is one tab stop: arrows move between messages, Tab reaches the focused message's buttons.
  // Without this a keyboard user would tab through every button of every message to reach the composer.
  let activeItem = null;

  function markTabbable(li, on) {
    li.tabIndex = on ? 0 : -1;
    const inside = on && li.contains(document.activeElement);
    li.querySelectorAll("a, button").forEach((button) => {
      button.tabIndex = inside ? 0 : -1;
    });
  }

  function setActive(li) {
    if (activeItem === li) return;
    if (activeItem && activeItem.isConnected) markTabbable(activeItem, false);
    activeItem = li;
    if (li) markTabbable(li, true);
  }

  function followLatest() {
    if (!ui.log.contains(document.activeElement)) setActive(lastItem());
  }

  function lastItem() {
    const items = ui.log.querySelectorAll(".chat-msg");
    return items.length ? items[items.length - 1] : null;
  }

  function orderKey(node) {
    if (node === divider) return dividerKey;
    if (node.dataset.seq) return Number(node.dataset.seq);
    return Infinity; // pending sends stay below everything stored
  }

  function place(node, key) {
    // Walk back from the end: almost every message lands at the bottom.
    let after = ui.log.lastElementChild;
    while (after && orderKey(after) > key) after = after.previousElementSibling;
    const anchorTop = ui.scroller.scrollTop;
    const before = ui.scroller.scrollHeight;
    const insertAt = after ? after.offsetTop + after.offsetHeight : -1; // -1: a prepend is always above
    if (after) after.after(node);
    else ui.log.prepend(node);
    // Content added above what the reader looks at must not move it (older history, late syncs).
    if (insertAt <= anchorTop && key !== Infinity) ui.scroller.scrollTop = anchorTop + (ui.scroller.scrollHeight - before);
  }

  function announce(message) {
    if (message.author.id === me.id || message.deleted || message.hidden) return;
    const text = firstLine(message);
    ui.announcer.textContent = t("new_message_from", { name: message.author.display_name, text });
  }

  // ---------------------------------------------------------------- incoming messages
  let unseenWhileHidden = 0;
  const baseTitle = document.title;

  function absorb(message, { live = false, history = false } = {}) {
    if (message.author.id === me.id && pending.has(message.client_id)) {
      pending.delete(message.client_id);
      const stale = pendingNodes.get(message.client_id);
      if (stale) stale.remove();
      pendingNodes.delete(message.client_id);
      savePending();
      settled(message.client_id);
    }
    if (message.seq < floorSeq && !history) {
      // Older than what is loaded (say, a resend acknowledged long after a reload): it shows up with its page.
      return;
    }
    const known = messages.get(message.id);
    if (known && known.attachments && !("attachments" in message) && !message.deleted && !message.hidden) {
      message.attachments = known.attachments; // an edit's payload carries the text, not the files
    }
    if (known && !("reactions" in message)) {
      // message.updated carries no reactions: keep what the room said so far.
    } else if (message.reactions) {
      reactions.set(message.id, new Map(Object.entries(message.reactions).map(([e, ids]) => [e, new Set(ids)])));
    }
    messages.set(message.id, message);
    seqs.set(message.seq, message.id);
    highestSeq = Math.max(highestSeq, message.seq);

    let li = nodes.get(message.id);
    const stick = nearBottom();
    if (li) {
      fillMessage(li, message);
    } else {
      li = el("li");
      fillMessage(li, message);
      nodes.set(message.id, li);
      place(li, message.seq);
      readObserver.observe(li);
      if (!hasMore && nodes.size === 1) ui.older.textContent = t("beginning");
      if (live && message.seq > contiguous) {
        announce(message);
        if (document.visibilityState === "hidden" && message.author.id !== me.id) {
          unseenWhileHidden += 1;
          document.title = `(${unseenWhileHidden}) ${baseTitle}`;
        }
        if (stick || message.author.id === me.id) toBottom();
      }
    }
    for (const id of repliesTo.get(message.id) || []) {
      if (nodes.has(id)) fillMessage(nodes.get(id), messages.get(id));
    }
    if (message.reply_to) {
      if (!repliesTo.has(message.reply_to)) repliesTo.set(message.reply_to, new Set());
      repliesTo.get(message.reply_to).add(message.id);
    }
    if (message.seq > contiguous) {
      const before = contiguous;
      while (seqs.has(contiguous + 1)) contiguous += 1;
      if (contiguous > before) gapRetries = 0;
      if (message.seq > contiguous) requestSync(); // a gap: ask for what we missed
    }
    if (typingTimers.has(message.author.id)) stopTyping(message.author.id);
    followLatest();
  }

  function applyReaction(frame) {
    if (!reactions.has(frame.message_id)) reactions.set(frame.message_id, new Map());
    const byEmoji = reactions.get(frame.message_id);
    if (!byEmoji.has(frame.emoji)) byEmoji.set(frame.emoji, new Set());
    const users = byEmoji.get(frame.emoji);
    if (frame.op === "add") users.add(frame.user);
    else users.delete(frame.user);
    if (!users.size) byEmoji.delete(frame.emoji);
    const message = messages.get(frame.message_id);
    if (message) fillMessage(nodes.get(message.id), message);
  }

  // ---------------------------------------------------------------- pending sends
  function fillPending(li, item) {
    li.replaceChildren();
    li.className = `chat-msg chat-mine chat-pending${item.error && !item.waiting ? " chat-failed" : ""}`;
    const meta = el("div", "chat-meta");
    meta.append(userText("span", "chat-author", me.name));
    meta.append(el("span", "chat-state", item.error && !item.waiting ? t("not_sent") : t("sending")));
    li.append(meta);
    if (item.reply_to) li.append(quoteNode(item.reply_to));
    if (item.body) li.append(userText("div", "chat-body chat-plain", item.body)); // plain until the server renders it
    if (item.files && item.files.length) {
      const box = el("div", "chat-files");
      for (const file of item.files) box.append(el("span", "chat-file", file.name));
      li.append(box);
    }
    if (item.error) {
      li.append(el("p", "chat-send-error", item.error));
      if (!item.waiting) {
        const tools = el("div", "chat-tools chat-tools-shown");
        tools.append(toolButton(t("retry"), "retry"), toolButton(t("discard"), "discard"));
        li.append(tools);
      }
    }
    markTabbable(li, li === activeItem);
  }

  function showPending(item) {
    let li = pendingNodes.get(item.client_id);
    if (!li) {
      li = el("li");
      li.dataset.clientId = item.client_id;
      pendingNodes.set(item.client_id, li);
      fillPending(li, item);
      ui.log.append(li);
      followLatest();
    } else {
      fillPending(li, item);
    }
  }

  // One send in flight at a time, oldest first: a refusal (rate limit) can then never let a later message
  // overtake an earlier one, so a person's messages keep the order they were written in.
  let inFlight = null; // client_id awaiting its message.new or error
  let inFlightTimer = null;
  const ACK_WITHIN = 15000;

  function transmit(item) {
    const frame = { type: "message.send", client_id: item.client_id, body: item.body };
    if (item.reply_to) frame.reply_to = item.reply_to;
    if (item.attachments && item.attachments.length) frame.attachments = item.attachments;
    if (!send(frame)) return;
    inFlight = item.client_id;
    clearTimeout(inFlightTimer);
    // An answer that never comes on a socket that looks open: ask again (the same client_id stores nothing twice).
    inFlightTimer = setTimeout(() => {
      if (inFlight === item.client_id && pending.has(item.client_id)) transmit(item);
    }, ACK_WITHIN);
  }

  function settled(clientId) {
    if (inFlight !== clientId) return;
    inFlight = null;
    clearTimeout(inFlightTimer);
    pump();
  }

  function pump() {
    if (!ready || inFlight) return;
    for (const item of pending.values()) {
      if (item.waiting) return; // rate limited: its timer pumps again, and nothing may overtake it
      if (item.error) continue; // refused for a reason a resend will not fix; the person decides
      transmit(item);
      return;
    }
  }

  let retryTimer = null;
  function retryLater(item, seconds) {
    clearTimeout(retryTimer);
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (!pending.has(item.client_id)) return;
      if (left > 0) {
        item.error = t("retrying_in", { seconds: left });
        showPending(item);
        retryTimer = setTimeout(tick, 1000);
        return;
      }
      item.waiting = false;
      item.error = null;
      showPending(item);
      pump(); // not connected: the next sync.done pumps
    };
    tick();
  }

  function queueMessage(body, files = []) {
    const item = {
      client_id: uuid4(),
      body,
      reply_to: replyTo,
      attachments: files.map((file) => file.id),
      files,
      error: null,
      waiting: false,
    };
    pending.set(item.client_id, item);
    savePending();
    showPending(item);
    toBottom();
    pump();
  }

  // ---------------------------------------------------------------- socket
  let socket = null;
  let ready = false; // hello seen and the first sync done: sends may go straight out
  let caughtUpAt = null; // when the socket last became ready (ms since the page's time origin)
  let syncing = false;
  let syncAgain = false;
  let attempt = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let finalClose = false;
  let lastHeard = 0;
  let gapTimer = null;
  let gapRetries = 0;

  function setStatus(state, text) {
    ui.status.dataset.state = state;
    if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function requestSync(afterSeq) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    if (syncing) {
      syncAgain = true;
      return false;
    }
    syncing = true;
    return send({ type: "sync", after_seq: afterSeq === undefined ? contiguous : afterSeq });
  }

  function socketSettled() {
    document.dispatchEvent(new Event("circles:socket-settled"));
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (finalClose) return;
    if (socket && socket.readyState <= WebSocket.OPEN) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // `after_seq`: the server replays what this page lacks right after `hello`, without waiting for a `sync`.
    const ws = new WebSocket(`${scheme}://${location.host}${config.socketPath}?after_seq=${contiguous}`);
    socket = ws;
    // The bell's socket (notifications.js) waits for this one: browsers open one socket to a host at a time.
    ws.addEventListener("open", socketSettled);
    ws.addEventListener("close", socketSettled);
    ready = false;
    syncing = false;
    syncAgain = false;
    setStatus(attempt ? "reconnecting" : "connecting", attempt ? t("reconnecting") : t("connecting"));
    ws.addEventListener("message", (event) => {
      if (ws !== socket) return;
      lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      handle(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== socket) return;
      onClosed(event.code);
    });
  }

  function drop() {
    // Closing a dead socket can take the browser a long while to notice; forget it now and start again.
    const dead = socket;
    socket = null;
    try {
      dead.close();
    } catch (_) {
      // already closing
    }
    onClosed(1006);
  }

  function onClosed(code) {
    ready = false;
    syncing = false;
    inFlight = null; // its answer died with the socket; the next sync.done sends it again
    clearTimeout(inFlightTimer);
    if (olderViaSync) {
      olderViaSync = 0; // the replay died with the socket; scrolling up asks again
      loadingOlder = false;
    }
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    online = new Set();
    showPresence();
    if (code === 4401 || code === 4403 || code === 4404) {
      // No access: retrying cannot help, so say why and stop.
      finalClose = true;
      setStatus("closed", t(`closed_${code}`));
      ui.input.disabled = true;
      ui.send.disabled = true;
      return;
    }
    if (!navigator.onLine) setStatus("offline", t("offline"));
    else setStatus("reconnecting", t("reconnecting"));
    // A dropped connection is tried again at once (a member far away gets back in one handshake); after
    // that, or when the server said it is restarting (1012) or busy (1013, 4503), back off with jitter so
    // a restarted server is not stampeded.
    const ceiling = Math.min(15000, 500 * 2 ** attempt);
    const spread = attempt > 0 || code === 1012 || code === 1013 || code === 4503;
    const delay = spread ? ceiling / 2 + Math.random() * (ceiling / 2) : 0;
    attempt += 1;
    reconnectTimer = setTimeout(connect, delay);
  }

  function startHeartbeat() {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      const sentAt = Date.now();
      if (!send({ type: "ping" })) return;
      clearTimeout(pongTimer);
      // A half-open connection (sleeping laptop, lost Wi-Fi) never errors by itself: no answer means dead.
      pongTimer = setTimeout(() => {
        if (lastHeard < sentAt && socket) drop();
      }, PONG_WITHIN);
    }, PING_EVERY);
  }

  function caughtUp() {
    // Everything up to the room's last seq is here: sends go straight out, unacknowledged ones again.
    if (ready) return;
    ready = true;
    caughtUpAt = performance.now();
    pump();
    sendRead();
    setTimeout(maybeLoadOlder, 0); // the history fallback may have waited for the socket
  }

  function handle(frame) {
    switch (frame.type) {
      case "hello":
        attempt = 0;
        setStatus("connected", t("connected"));
        online = new Set(frame.online || []);
        showPresence();
        startHeartbeat();
        syncing = false;
        // The page (or the last socket) holds every message up to `contiguous`, and the room's newer ones
        // reach this socket live. When the room has gone further, the server is already replaying from the
        // URL's `after_seq` (`replay_after`), or, from a server that does not, a sync is asked for. A round
        // trip saved on every open and reconnect, which is most of the wait for someone far away.
        if (Number.isInteger(frame.replay_after)) syncing = true; // its sync.done makes the page caught up
        else if (frame.last_seq > contiguous) requestSync();
        else caughtUp();
        break;
      case "message.new":
      case "message.updated":
        absorb(frame.message, { live: true, history: olderViaSync > 0 });
        break;
      case "sync.done":
        syncing = false;
        caughtUp();
        if (olderViaSync) {
          floorSeq = Math.min(floorSeq, olderViaSync);
          olderViaSync = 0;
          loadingOlder = false;
          hasMore = floorSeq > 1;
          ui.older.textContent = hasMore ? "" : t("beginning");
          setTimeout(maybeLoadOlder, 0);
        }
        if (syncAgain || highestSeq > contiguous) {
          syncAgain = false;
          if (highestSeq > contiguous) {
            // A hole right after a replay means a race with a commit: ask again, backing off if it persists.
            clearTimeout(gapTimer);
            gapTimer = setTimeout(() => requestSync(), Math.min(30000, 500 * 2 ** gapRetries));
            gapRetries += 1;
          }
        }
        break;
      case "resync":
        // The server's Redis came back: pushes may have been lost meanwhile, so catch up from the last seq.
        requestSync();
        break;
      case "presence":
        online = new Set(frame.online || []);
        showPresence();
        break;
      case "typing":
        if (frame.user !== me.id) startTyping(frame.user);
        break;
      case "reaction":
        applyReaction(frame);
        break;
      case "pin":
        applyPin(frame);
        break;
      case "error":
        onError(frame);
        break;
      default:
        break; // pong and anything added later
    }
  }

  function onError(frame) {
    const item = frame.client_id ? pending.get(frame.client_id) : null;
    if (frame.code === "rate_limited" || frame.code === "busy") {
      // Both mean "resend the same client_id after retry_after"; busy is a full database pool.
      // The server may leave out the client_id here; with one send in flight it can only be that one.
      const refused = item || (inFlight && pending.get(inFlight));
      if (!refused) {
        showError(frame.detail);
        return;
      }
      refused.waiting = true;
      if (inFlight === refused.client_id) {
        inFlight = null;
        clearTimeout(inFlightTimer);
      }
      retryLater(refused, Math.max(1, Number(frame.retry_after) || 1));
      return;
    }
    if (item) {
      item.error = frame.detail || t("not_sent");
      item.waiting = false;
      showPending(item);
      settled(item.client_id);
      return;
    }
    showError(frame.detail);
  }

  let errorTimer = null;
  function showError(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
    clearTimeout(errorTimer);
    if (text) errorTimer = setTimeout(() => showError(""), 8000);
  }

  window.addEventListener("online", () => {
    attempt = 0;
    if (!socket || socket.readyState > WebSocket.OPEN) connect();
    else if (ready) setStatus("connected", t("connected"));
  });
  window.addEventListener("offline", () => {
    if (!finalClose) setStatus("offline", t("offline"));
  });

  // ---------------------------------------------------------------- presence and typing
  const presenceDots = new Map(); // user id -> [dot, label]
  document.querySelectorAll("[data-person]").forEach((item) => {
    const person = config.people.find((p) => p.username === item.dataset.person);
    if (!person) return;
    const dot = el("span", "presence-dot");
    dot.setAttribute("aria-hidden", "true");
    const label = el("span", "visually-hidden", t("offline_person"));
    item.prepend(dot, label);
    presenceDots.set(person.id, [dot, label]);
    // A private conversation starts from the people list (the coach with a member, a member with the coach).
    const target = config.threadTargets && config.threadTargets[person.username];
    const form = $("chat-thread-form");
    if (target && form && person.id !== me.id) {
      const copy = form.content.firstElementChild.cloneNode(true);
      copy.querySelector("input[name=member]").value = target;
      copy.querySelector("button").setAttribute("aria-label", t("message_person_privately", { name: person.name }));
      item.append(document.createTextNode(" "), copy);
    }
  });

  function showPresence() {
    for (const [id, [dot, label]] of presenceDots) {
      const here = online.has(id);
      dot.classList.toggle("is-online", here);
      label.textContent = here ? t("online") : t("offline_person");
    }
  }

  const typingTimers = new Map();
  function startTyping(userId) {
    clearTimeout(typingTimers.get(userId));
    typingTimers.set(userId, setTimeout(() => stopTyping(userId), TYPING_SHOWN));
    showTyping();
  }
  function stopTyping(userId) {
    clearTimeout(typingTimers.get(userId));
    typingTimers.delete(userId);
    showTyping();
  }
  function showTyping() {
    const names = Array.from(typingTimers.keys(), (id) => nameOf(id));
    let text = "";
    if (names.length === 1) text = t("typing_one", { name: names[0] });
    else if (names.length === 2) text = t("typing_two", { first: names[0], second: names[1] });
    else if (names.length > 2) text = t("typing_many");
    ui.typing.textContent = text;
  }

  // ---------------------------------------------------------------- read markers
  const visibleSeqs = new Set();
  let readSent = readSeq;
  let readTimer = null;
  const readObserver = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const seq = Number(entry.target.dataset.seq);
        if (entry.isIntersecting) visibleSeqs.add(seq);
        else visibleSeqs.delete(seq);
      }
      sendRead();
    },
    { root: ui.scroller, threshold: 0.5 },
  );

  function sendRead() {
    // While a linked message is being brought into view, what flashes by on the way is not read.
    if (revealing || readTimer || document.visibilityState !== "visible" || !ready || !visibleSeqs.size) return;
    const highest = Math.max(...visibleSeqs);
    if (highest <= readSent) return;
    readTimer = setTimeout(() => {
      readTimer = null;
      sendRead();
    }, READ_EVERY);
    if (send({ type: "read", seq: highest })) readSent = highest;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      unseenWhileHidden = 0;
      document.title = baseTitle;
      sendRead();
      if (!finalClose && (!socket || socket.readyState > WebSocket.OPEN)) {
        attempt = 0;
        connect();
      }
    }
  });

  // ---------------------------------------------------------------- older history
  let loadingOlder = false;
  let olderViaSync = 0; // while a sync stands in for the history API: the seq it replays from
  let olderRequest = Promise.resolve(); // the page being loaded (settled when none is)

  function loadOlder(limit = PAGE) {
    if (loadingOlder || !hasMore) return olderRequest;
    olderRequest = fetchOlder(limit);
    return olderRequest;
  }

  async function fetchOlder(limit) {
    const oldest = floorSeq;
    if (oldest <= 1) {
      hasMore = false;
      ui.older.textContent = t("beginning");
      return;
    }
    loadingOlder = true;
    ui.older.textContent = t("loading_older");
    try {
      let data = null;
      if (config.historyUrl) {
        const response = await fetch(`${config.historyUrl}?before_seq=${oldest}&limit=${limit}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (response.ok) data = await response.json();
        else if (response.status !== 404) throw new Error(String(response.status));
      }
      if (data) {
        for (const message of data.messages) absorb(message, { history: true });
        for (const message of data.messages) floorSeq = Math.min(floorSeq, message.seq);
        hasMore = Boolean(data.has_more) && floorSeq > 1;
        ui.older.textContent = hasMore ? "" : t("beginning");
        loadingOlder = false;
        maybeLoadOlder();
      } else {
        // No history API for this room: a sync from further back replays the older page (duplicates are merged).
        const from = Math.max(1, oldest - PAGE);
        olderViaSync = requestSync(from - 1) ? from : 0;
      }
    } catch (_) {
      ui.older.textContent = t("history_failed");
      setTimeout(() => {
        loadingOlder = false;
      }, 3000);
      return;
    }
    if (!olderViaSync) loadingOlder = false;
  }

  function maybeLoadOlder() {
    // Also when the log is too short to scroll, or opens at its top: no scroll event would ever come.
    if (hasMore && ui.scroller.scrollTop < 120) loadOlder();
  }

  ui.scroller.addEventListener("scroll", maybeLoadOlder);

  // ---------------------------------------------------------------- a linked message (#message-<id>)
  // A notification links to the exact message: load history back to it, scroll to it, highlight it, and
  // move focus there so keyboard and screen-reader users land on it too.

  function linkedId() {
    const match = /^#message-(\d{1,18})$/.exec(location.hash);
    return match ? Number(match[1]) : null;
  }

  async function reveal(id) {
    revealing = true;
    try {
      while (!nodes.has(id) && hasMore && config.historyUrl) {
        const floor = floorSeq;
        await loadOlder(JUMP_PAGE);
        if (floorSeq === floor) break; // the page failed: stop here rather than ask forever
      }
    } finally {
      revealing = false;
    }
    const li = nodes.get(id);
    if (li) {
      li.scrollIntoView({ block: "center" });
      setActive(li);
      li.classList.remove("chat-target");
      void li.offsetWidth; // restart the fade when the same message is linked again
      li.classList.add("chat-target");
      li.focus({ preventScroll: true });
      li.addEventListener("blur", () => li.classList.remove("chat-target"), { once: true });
    }
    // Read up to what is on screen now, as usual. The observer reports the jump a frame later; measured
    // here, the messages passed on the way (the newest, shown first) are not taken as read.
    const box = ui.scroller.getBoundingClientRect();
    visibleSeqs.clear();
    for (const node of nodes.values()) {
      const rect = node.getBoundingClientRect();
      const shown = Math.min(rect.bottom, box.bottom) - Math.max(rect.top, box.top);
      if (rect.height && shown >= rect.height / 2) visibleSeqs.add(Number(node.dataset.seq));
    }
    sendRead();
  }

  window.addEventListener("hashchange", () => {
    const id = linkedId();
    if (id !== null) reveal(id);
  });

  // ---------------------------------------------------------------- composer
  function setContext(text) {
    ui.context.hidden = !text;
    ui.contextText.textContent = text || "";
  }

  function cancelContext() {
    if (editing !== null) ui.input.value = "";
    replyTo = null;
    editing = null;
    setContext("");
    ui.send.textContent = t("send");
    resize();
  }

  function startReply(id) {
    const message = messages.get(id);
    if (!message) return;
    editing = null;
    replyTo = id;
    setContext(t("replying_to", { name: message.author.display_name }));
    ui.input.focus();
  }

  function startEdit(id) {
    const message = messages.get(id);
    if (!message) return;
    replyTo = null;
    editing = id;
    setContext(t("editing"));
    ui.input.value = message.body;
    ui.send.textContent = t("save");
    resize();
    ui.input.focus();
  }

  function resize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight + 2, 160)}px`;
    const over = ui.input.value.trim().length - config.maxBody;
    ui.count.textContent = over > 0 ? t("too_long", { count: over }) : "";
    ui.count.classList.toggle("error", over > 0);
  }

  function submit() {
    const body = ui.input.value.trim();
    const files = editing === null ? tray.filter((item) => item.attachment).map((item) => item.attachment) : [];
    if (editing === null && tray.some((item) => !item.attachment && !item.error)) {
      showError(t("wait_for_uploads"));
      return;
    }
    if (!body && !files.length) return;
    if (body.length > config.maxBody) {
      showError(t("too_long", { count: body.length - config.maxBody }));
      return;
    }
    if (editing !== null) {
      if (!send({ type: "message.edit", message_id: editing, body })) {
        showError(t("offline"));
        return;
      }
    } else {
      queueMessage(body, files);
      tray.length = 0;
      showTray();
    }
    ui.input.value = "";
    cancelContext();
    closeMentions();
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
    ui.input.focus();
  });
  ui.contextCancel.addEventListener("click", () => {
    cancelContext();
    ui.input.focus();
  });

  let typingSent = 0;
  ui.input.addEventListener("input", () => {
    resize();
    updateMentions();
    if (ui.input.value.trim() && editing === null && Date.now() - typingSent > TYPING_EVERY) {
      if (send({ type: "typing" })) typingSent = Date.now();
    }
  });

  ui.input.addEventListener("keydown", (event) => {
    if (!ui.mentions.hidden && mentionKeys(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "Escape" && (replyTo !== null || editing !== null)) {
      event.preventDefault();
      cancelContext();
    }
  });

  // ---------------------------------------------------------------- mention autocomplete
  let choices = [];
  let active = 0;

  function mentionQuery() {
    const upto = ui.input.value.slice(0, ui.input.selectionStart);
    const match = /(^|[^\w@])@([\w.+-]*)$/.exec(upto);
    return match ? { query: match[2].toLowerCase(), start: upto.length - match[2].length - 1 } : null;
  }

  function updateMentions() {
    const found = mentionQuery();
    if (!found) {
      closeMentions();
      return;
    }
    choices = config.people
      .filter((p) => p.id !== me.id)
      .filter((p) => p.username.toLowerCase().startsWith(found.query) ||
        p.name.toLowerCase().split(/\s+/).some((part) => part.startsWith(found.query)))
      .slice(0, 8);
    if (!choices.length) {
      closeMentions();
      return;
    }
    active = Math.min(active, choices.length - 1);
    ui.mentions.replaceChildren(
      ...choices.map((person, index) => {
        const option = el("li", "chat-mention");
        option.id = `chat-mention-${index}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", index === active ? "true" : "false");
        option.append(el("strong", "", person.name), document.createTextNode(" "), el("span", "muted", `@${person.username}`));
        option.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the textarea focused
          pickMention(index);
        });
        return option;
      }),
    );
    ui.mentions.hidden = false;
    ui.input.setAttribute("aria-activedescendant", `chat-mention-${active}`);
  }

  function closeMentions() {
    ui.mentions.hidden = true;
    ui.input.removeAttribute("aria-activedescendant");
    active = 0;
  }

  function pickMention(index) {
    const found = mentionQuery();
    const person = choices[index];
    if (!found || !person) return;
    const value = ui.input.value;
    const caret = ui.input.selectionStart;
    const insert = `@${person.username} `;
    ui.input.value = value.slice(0, found.start) + insert + value.slice(caret);
    const at = found.start + insert.length;
    ui.input.setSelectionRange(at, at);
    closeMentions();
    resize();
  }

  function mentionKeys(event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : choices.length - 1)) % choices.length;
      updateMentions();
      return true;
    }
    if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      event.preventDefault();
      pickMention(active);
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      closeMentions();
      return true;
    }
    return false;
  }

  ui.input.addEventListener("blur", () => setTimeout(closeMentions, 150));
  ui.input.addEventListener("click", updateMentions);

  // ---------------------------------------------------------------- message actions
  let picker = null;

  function closePicker(focusBack) {
    if (!picker) return;
    const { node, opener } = picker;
    node.remove();
    if (opener.isConnected) {
      opener.setAttribute("aria-expanded", "false");
      if (focusBack) opener.focus();
    }
    picker = null;
  }

  function openPicker(li, opener) {
    closePicker(false);
    const id = Number(li.dataset.id);
    const node = el("div", "chat-picker");
    node.setAttribute("role", "group");
    node.setAttribute("aria-label", t("react"));
    for (const emoji of EMOJI) {
      const button = el("button", "chat-pick", emoji);
      button.type = "button";
      button.setAttribute("aria-label", t("react_with", { emoji }));
      button.addEventListener("click", () => {
        toggleReaction(id, emoji);
        closePicker(true);
      });
      node.append(button);
    }
    node.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closePicker(true);
    });
    opener.setAttribute("aria-expanded", "true");
    li.append(node);
    picker = { node, opener };
    node.firstElementChild.focus();
  }

  function toggleReaction(id, emoji) {
    const users = (reactions.get(id) || new Map()).get(emoji);
    const op = users && users.has(me.id) ? "remove" : "add";
    if (!send({ type: `reaction.${op}`, message_id: id, emoji })) {
      showError(t("offline"));
      return;
    }
    applyReaction({ message_id: id, emoji, user: me.id, op }); // the room's echo is idempotent
  }

  ui.log.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const li = button.closest("li");
    const action = button.dataset.action;
    if (action === "view-image") {
      viewImage(button);
      return;
    }
    if (li.dataset.clientId) {
      const item = pending.get(li.dataset.clientId);
      if (!item) return;
      if (action === "retry") {
        item.error = null;
        showPending(item);
        pump();
      } else if (action === "discard") {
        pending.delete(item.client_id);
        pendingNodes.get(item.client_id).remove();
        pendingNodes.delete(item.client_id);
        savePending();
        ui.input.focus();
        followLatest();
        settled(item.client_id);
      }
      return;
    }
    const id = Number(li.dataset.id);
    if (action === "reply") startReply(id);
    else if (action === "edit") startEdit(id);
    else if (action === "react") {
      if (picker && picker.opener === button) closePicker(true);
      else openPicker(li, button);
    } else if (action === "toggle-reaction") toggleReaction(id, button.dataset.emoji);
    else if (action === "report") openReport(id, button);
    else if (action === "hide") openHide(id, button);
    else if (action === "pin" || action === "unpin") togglePin(id, action);
    else if (action === "delete") {
      if (window.confirm(t("confirm_delete")) && !send({ type: "message.delete", message_id: id })) {
        showError(t("offline"));
      }
    }
  });

  ui.log.addEventListener("focusin", (event) => {
    const li = event.target.closest("li.chat-msg");
    if (!li) return;
    setActive(li);
    markTabbable(li, true);
  });
  ui.log.addEventListener("focusout", (event) => {
    const li = event.target.closest("li.chat-msg");
    if (li && !li.contains(event.relatedTarget)) {
      li.querySelectorAll("a, button").forEach((button) => {
        button.tabIndex = -1;
      });
    }
  });

  ui.log.addEventListener("keydown", (event) => {
    const li = event.target;
    if (!li.matches || !li.matches("li.chat-msg")) return;
    const items = Array.from(ui.log.querySelectorAll("li.chat-msg"));
    const at = items.indexOf(li);
    const next = {
      ArrowUp: items[at - 1],
      ArrowDown: items[at + 1],
      Home: items[0],
      End: items[items.length - 1],
    }[event.key];
    if (event.key === "Escape") {
      event.preventDefault();
      ui.input.focus();
    } else if (next) {
      event.preventDefault();
      setActive(next);
      next.focus();
    }
  });

  document.addEventListener("click", (event) => {
    if (picker && !picker.node.contains(event.target) && event.target !== picker.opener) closePicker(false);
  });

  // ---------------------------------------------------------------- moderation
  // Report (anyone but the author), hide and mute (the coach) go over HTTP: the server answers each one,
  // and a hide reaches every screen as message.updated.
  let noticeTimer = null;
  function showNotice(text) {
    ui.notice.textContent = text || "";
    clearTimeout(noticeTimer);
    if (text) noticeTimer = setTimeout(() => showNotice(""), 8000);
  }

  function csrfToken() {
    const rendered = $("chat").dataset.csrf;
    if (rendered) return rendered;
    const cookie = document.cookie.split(/;\s*/).find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  // Resolves to the JSON answer, or throws an Error whose message can be shown as it is.
  async function postAction(url, fields) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: new URLSearchParams(fields),
      });
    } catch (_) {
      throw new Error(t("action_failed"));
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      // Not JSON (a proxy's error page, a CSRF refusal): the generic sentence below.
    }
    if (response.ok && data && data.ok) return data;
    throw new Error((data && data.error && data.error.detail) || t("action_failed"));
  }

  function dialogButton(button) {
    button.setAttribute("aria-haspopup", "dialog");
    return button;
  }

  // One modal dialog at a time, built from the strings object; Escape or Cancel closes it and focus
  // goes back to what opened it (or its message, if a re-render replaced the button).
  let dialog = null;

  function openDialog({ title, explain, fields, confirm, opener, act }) {
    if (dialog) dialog.close();
    const node = el("dialog", "chat-dialog");
    const form = el("form", "chat-dialog-form");
    const heading = el("h2", "chat-dialog-title", title);
    heading.id = "chat-dialog-title";
    node.setAttribute("aria-labelledby", heading.id);
    form.append(heading);
    if (explain) {
      const text = el("p", "muted", explain);
      text.id = "chat-dialog-explain";
      node.setAttribute("aria-describedby", text.id);
      form.append(text);
    }
    for (const field of fields || []) form.append(field);
    const error = el("p", "chat-dialog-error error");
    error.setAttribute("role", "alert");
    const actions = el("div", "chat-dialog-actions");
    const cancel = el("button", "secondary", t("cancel"));
    cancel.type = "button";
    const ok = el("button", "", confirm);
    ok.type = "submit";
    actions.append(cancel, ok);
    form.append(error, actions);
    node.append(form);

    const openerItem = opener.closest("li");
    cancel.addEventListener("click", () => node.close());
    node.addEventListener("close", () => {
      node.remove();
      if (dialog === node) dialog = null;
      if (opener.isConnected) opener.focus();
      else if (openerItem && openerItem.isConnected) openerItem.focus();
      else ui.input.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (ok.disabled) return;
      ok.disabled = true;
      error.textContent = "";
      try {
        await act(form);
        node.close();
      } catch (problem) {
        error.textContent = problem.message;
        ok.disabled = false;
      }
    });
    document.body.append(node);
    dialog = node;
    node.showModal();
    const first = form.querySelector("[autofocus]");
    if (first) first.focus();
  }

  const messageUrl = (template, id) => template.replace("{id}", encodeURIComponent(id));

  function quoted(message) {
    const quote = el("blockquote", "chat-dialog-quote");
    quote.append(userText("strong", "", message.author.display_name), document.createTextNode(" "), userText("span", "", firstLine(message)));
    return quote;
  }

  function openReport(id, opener) {
    const message = messages.get(id);
    if (!message) return;
    const label = el("label", "chat-dialog-field", t("report_reason"));
    const reason = el("textarea");
    reason.name = "reason";
    reason.rows = 3;
    reason.autofocus = true;
    label.append(reason);
    openDialog({
      title: t("report_title"),
      explain: t("report_explain"),
      fields: [quoted(message), label],
      confirm: t("report_send"),
      opener,
      act: async () => {
        await postAction(messageUrl(config.reportUrl, id), { reason: reason.value.trim() });
        showNotice(t("reported"));
      },
    });
  }

  function openHide(id, opener) {
    const message = messages.get(id);
    if (!message) return;
    openDialog({
      title: t("hide_title"),
      explain: t("hide_explain"),
      fields: [quoted(message)],
      confirm: t("hide_confirm"),
      opener,
      act: async () => {
        await postAction(messageUrl(config.hideUrl, id), {});
        // The room's message.updated says the same; this covers a socket that is reconnecting right now.
        const shown = messages.get(id);
        if (shown && !shown.hidden) {
          const { reactions: _kept, ...rest } = shown; // without the key, absorb keeps the live reactions
          absorb({ ...rest, hidden: true, body: "", html: "" });
        }
        showNotice(t("hidden_done"));
      },
    });
    // A hide cannot be undone from here: the safe choice takes the focus.
    dialog.querySelector("button.secondary").focus();
  }

  // ---------------------------------------------------------------- pins (the circle library)
  // Pinning goes over HTTP; every open chat of the room hears the `pin` frame after the commit.
  function applyPin(frame) {
    if (frame.op === "add") pins.set(frame.message_id, frame.pinned_by);
    else pins.delete(frame.message_id);
    const message = messages.get(frame.message_id);
    if (message) fillMessage(nodes.get(message.id), message);
  }

  async function togglePin(id, action) {
    let answer;
    try {
      answer = await postAction(messageUrl(action === "pin" ? library.pinUrl : library.unpinUrl, id), {});
    } catch (problem) {
      showError(problem.message);
      return;
    }
    // The room's frame says the same; this covers a socket that is reconnecting right now.
    applyPin({ op: action === "pin" ? "add" : "remove", message_id: id, pinned_by: answer.pinned_by });
    showNotice(t(action === "pin" ? "library_pinned" : "library_unpinned"));
  }

  const MUTE_MINUTES = [15, 60, 1440];

  function openMute(person, opener, status) {
    const group = el("fieldset", "chat-dialog-choices");
    group.append(el("legend", "", t("mute_for")));
    MUTE_MINUTES.forEach((minutes, index) => {
      const label = el("label");
      const radio = el("input");
      radio.type = "radio";
      radio.name = "minutes";
      radio.value = String(minutes);
      if (index === 0) {
        radio.checked = true;
        radio.autofocus = true;
      }
      label.append(radio, document.createTextNode(` ${t(`mute_${minutes}`)}`));
      group.append(label);
    });
    openDialog({
      title: t("mute_title", { name: person.name }),
      explain: t("mute_explain"),
      fields: [group],
      confirm: t("mute_confirm"),
      opener,
      act: async (form) => {
        const minutes = form.querySelector("input[name=minutes]:checked").value;
        const answer = await postAction(config.muteUrl, { user: person.id, minutes });
        const time = shownTime(answer.until);
        status.textContent = t("muted_until", { time: time.text });
        status.title = time.title;
        showNotice(t("muted_notice", { name: person.name, time: time.text }));
      },
    });
  }

  if (config.muteUrl) {
    // The coach mutes from the people panel: one "Mute…" per member.
    document.querySelectorAll("[data-person]").forEach((item) => {
      const person = config.people.find((p) => p.username === item.dataset.person);
      if (!person || person.id === me.id || person.coach) return;
      const button = dialogButton(el("button", "link chat-mute", t("mute")));
      button.type = "button";
      button.setAttribute("aria-label", t("mute_person", { name: person.name }));
      const status = el("span", "chat-muted");
      button.addEventListener("click", () => openMute(person, button, status));
      item.append(document.createTextNode(" "), button, document.createTextNode(" "), status);
    });
  }

  // ---------------------------------------------------------------- start
  const initial = config.messages;
  const firstUnread = initial.find((m) => m.seq > readSeq && m.author.id !== me.id);
  if (firstUnread || (initial.length && initial[0].seq > readSeq + 1 && readSeq < config.lastSeq)) {
    divider = el("li", "chat-divider");
    divider.append(el("span", "", t("new_messages")));
    dividerKey = readSeq + 0.5;
    ui.log.append(divider);
  }
  contiguous = initial.length ? initial[0].seq - 1 : 0;
  for (const message of initial) absorb(message);
  for (const stored of loadPending()) {
    // Sent before a reload: resent after the next sync, unless the page already shows it.
    const done = initial.some((m) => m.author.id === me.id && m.client_id === stored.client_id);
    if (done || pending.has(stored.client_id)) continue;
    const item = {
      client_id: stored.client_id,
      body: stored.body,
      reply_to: stored.reply_to || null,
      attachments: stored.attachments || [],
      files: stored.files || [],
      error: null,
      waiting: false,
    };
    pending.set(item.client_id, item);
    showPending(item);
  }
  savePending();
  if (!hasMore) ui.older.textContent = initial.length ? t("beginning") : t("empty");
  const linked = linkedId();
  if (divider) ui.scroller.scrollTop = Math.max(0, divider.offsetTop - 8);
  else toBottom();
  if (linked !== null) reveal(linked);
  else maybeLoadOlder();
  connect();

  // A small window for the person debugging a flaky network, and for browser tests.
  window.circlesChat = {
    get socket() {
      return socket;
    },
    get contiguousSeq() {
      return contiguous;
    },
    get pendingCount() {
      return pending.size;
    },
    get caughtUpAt() {
      return ready ? caughtUpAt : null;
    },
  };
})();
