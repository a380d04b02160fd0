// Circles live session: lobby, stage, hands and coach controls, and the stage's video, which flows one of two
// ways (`media` in session.state): a mesh (WebRTC between the people on stage, and from them to the first
// few of the audience, the `viewers`) or through the SFU (Janus; each stage member publishes once and
// everyone subscribes, all signalled through our socket as sfu.* frames).
// Contract: docs/protocol.md, "Live session rooms", which also describes the
// signalling data below. The session chat beside the stage is chat.js on its own socket to the same room.
//
// Signalling: each RTCPeerConnection has a random id `pc`, sent with everything it signals, so either side
// can tell a fresh connection from the other end (a reload, a reconnect) from the one it knows:
//   {pc, ready: true}            a connection made on its own initiative says it is listening
//   {pc, description: {type, sdp}}, {pc, candidate: {...}}   perfect negotiation (polite = the higher id;
//                                the impolite side makes the first offer of each connection)
// and, once it knows it, `for`: the id of the receiving connection it is meant for. What is for another
// connection of ours (one already closed) is dropped, so an offer made to our last connection can never be
// answered by this one.
// Only people on stage ask for a camera. In the mesh a viewer opens one receive-only connection per stage member
// with the same conventions; the rest of the audience opens none.
(() => {
  "use strict";

  const configNode = document.getElementById("session-config");
  if (!configNode) return;
  const config = JSON.parse(configNode.textContent);
  const strings = JSON.parse(document.getElementById("session-strings").textContent);
  const me = config.me;
  const PING_EVERY = 25000;
  const PONG_WITHIN = 10000;
  const STUCK_AFTER = 25000; // a connection not up by then starts over
  const QUEUE_LIMIT = 200;
  // Modest video: in a mesh each person on stage sends one stream to every other one.
  const VIDEO = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } };

  const $ = (id) => document.getElementById(id);
  const ui = {
    root: $("session"),
    status: $("session-status"),
    statusText: $("session-status-text"),
    lobby: $("session-lobby"),
    live: $("session-live"),
    ended: $("session-ended"),
    cancelled: $("session-cancelled"),
    meshNote: $("session-mesh-note"),
    mediaDown: $("session-media-down"),
    screen: $("toggle-screen"),
    lowerAll: $("hands-lower-all"),
    start: $("session-start"),
    grid: $("stage-grid"),
    audienceNote: $("session-audience-note"),
    mediaProblem: $("session-media-problem"),
    mediaText: $("session-media-text"),
    mediaRetry: $("session-media-retry"),
    notice: $("session-notice"),
    announcer: $("session-announcer"),
    play: $("session-play"),
    error: $("session-error"),
    raise: $("hand-raise"),
    lower: $("hand-lower"),
    mic: $("toggle-mic"),
    camera: $("toggle-camera"),
    leave: $("stage-leave"),
    muteAll: $("mute-all"),
    end: $("session-end"),
    stageSection: $("stage-section"),
    handSection: $("hand-section"),
    stageList: $("stage-list"),
    stageCount: $("stage-count"),
    handList: $("hand-list"),
    audience: $("audience-count"),
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

  const nameOf = (id) => config.people[String(id)] || "?";

  function randomId() {
    const bytes = crypto.getRandomValues(new Uint8Array(8));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---------------------------------------------------------------- state
  let state = config.state; // the last session.state
  let iceServers = null; // from rtc.config; null until this socket's arrives
  const peers = new Map(); // user id -> peer
  let queued = []; // [from, data] signals that came before we could take them
  let opened = 0; // peer connections this page ever made (for the test hook)
  let localStream = null;
  let media = "none"; // none | pending | ready | failed
  let mediaGeneration = 0;
  let micOn = true;
  let cameraOn = true;
  let screenStream = null; // getDisplayMedia's stream while this person shares their screen
  let sfuAvailable = null; // media.status: null until this socket hears it
  const sfu = { pub: null, subs: new Map(), subscribed: new Set() }; // Janus connections (media "sfu")
  let role = "none"; // stage | viewer | none: the mesh connections a change of role starts afresh

  const live = () => state.status === "live";
  const onStage = () => live() && state.stage.includes(me.id);
  const mesh = () => state.media !== "sfu";
  const isViewer = () => live() && mesh() && !onStage() && (state.viewers || []).includes(me.id);

  // ---------------------------------------------------------------- socket
  let socket = null;
  let attempt = 0;
  let reconnectTimer = null;
  let pingTimer = null;
  let pongTimer = null;
  let lastHeard = 0;
  let finalClose = false;
  let welcomed = false;

  function setStatus(kind, text) {
    ui.status.dataset.state = kind;
    if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
  }

  function statusText() {
    return t(`status_${state.status}`);
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    if (finalClose || (socket && socket.readyState <= WebSocket.OPEN)) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${config.socketPath}`);
    socket = ws;
    // The bell's socket (notifications.js) waits for this one: browsers open one socket to a host at a time.
    const settled = () => document.dispatchEvent(new Event("circles:socket-settled"));
    ws.addEventListener("open", settled);
    ws.addEventListener("close", settled);
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
      if (ws === socket) onClosed(event.code);
    });
  }

  function onClosed(code) {
    socket = null;
    iceServers = null;
    // What Janus knows of this page belongs to the socket that is gone.
    sfuAvailable = null;
    closeSfu();
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    if (code === 4401 || code === 4403 || code === 4404) {
      finalClose = true;
      closeAllPeers();
      stopMedia();
      setStatus("closed", t(`closed_${code}`));
      ui.root.dataset.closed = "true";
      return;
    }
    setStatus("reconnecting", t("reconnecting"));
    const ceiling = Math.min(15000, 500 * 2 ** attempt);
    attempt += 1;
    reconnectTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  function drop() {
    const dead = socket;
    socket = null;
    try {
      dead.close();
    } catch (_) {
      // already closing
    }
    onClosed(1006);
  }

  function startHeartbeat() {
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      const sentAt = Date.now();
      if (!send({ type: "ping" })) return;
      clearTimeout(pongTimer);
      // A half-open connection never errors by itself: no answer means it is dead.
      pongTimer = setTimeout(() => {
        if (lastHeard < sentAt && socket) drop();
      }, PONG_WITHIN);
    }, PING_EVERY);
  }

  function handle(frame) {
    switch (frame.type) {
      case "hello":
        attempt = 0;
        startHeartbeat();
        if (welcomed) {
          // Back after a drop: signals may have been lost meanwhile, so every connection starts afresh.
          closeAllPeers();
          closeSfu();
          queued = [];
        }
        welcomed = true;
        break;
      case "session.state":
        // Versions only grow; one older than what is shown is a late echo (say, from before a reconnect).
        if (typeof frame.version !== "number" || frame.version >= (state.version || 0)) applyState(frame);
        break;
      case "rtc.config":
        iceServers = Array.isArray(frame.ice_servers) ? frame.ice_servers : [];
        setStatus("connected", statusText());
        syncPeers();
        reportDevices();
        break;
      case "rtc.signal":
        onSignal(Number(frame.from), frame.data || {});
        break;
      case "mute":
        if (frame.user === me.id) mutedByCoach("muted_you_by_coach");
        else if (frame.user === undefined && frame.by !== me.id) mutedByCoach("muted_by_coach");
        break;
      case "media.status":
        sfuAvailable = frame.available === true;
        if (!sfuAvailable) closeSfu();
        renderControls();
        syncSfu();
        break;
      case "sfu.answer":
        onSfuAnswer(frame.jsep);
        break;
      case "sfu.offer":
        onSfuOffer(Number(frame.user), frame.jsep);
        break;
      case "sfu.gone":
        closeSub(Number(frame.user));
        break;
      case "error":
        showError(frame.detail);
        break;
      default:
        break; // pong, presence, chat frames (chat.js shows those)
    }
  }

  let errorTimer = null;
  function showError(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
    clearTimeout(errorTimer);
    if (text) errorTimer = setTimeout(() => showError(""), 8000);
  }

  let noticeTimer = null;
  function showNotice(text, { sticky = false } = {}) {
    ui.notice.textContent = text || "";
    ui.notice.hidden = !text;
    clearTimeout(noticeTimer);
    if (text && !sticky) noticeTimer = setTimeout(() => showNotice(""), 8000);
  }

  // ---------------------------------------------------------------- state and rendering
  // What changed on the stage since the last state, as short sentences for the live region. The first state
  // of a page (or after a reconnect with nothing shown yet) is the page itself, not news.
  function announceChanges(before, after) {
    if (!before || !before.status) return;
    const was = { stage: (before.stage || []).map(Number), hands: (before.hands || []).map(Number) };
    const said = [];
    if (before.status !== after.status && after.status === "live") said.push(t("announce_live"));
    if (before.status !== after.status && after.status === "ended") said.push(t("announce_ended"));
    for (const id of after.stage) {
      if (!was.stage.includes(id)) said.push(id === me.id ? t("announce_you_on_stage") : t("announce_on_stage", { name: nameOf(id) }));
    }
    for (const id of was.stage) {
      if (!after.stage.includes(id)) said.push(id === me.id ? t("announce_you_off_stage") : t("announce_off_stage", { name: nameOf(id) }));
    }
    for (const id of after.hands) {
      if (!was.hands.includes(id) && id !== me.id) said.push(t("announce_hand", { name: nameOf(id) }));
    }
    if (said.length) ui.announcer.textContent = said.join(" ");
  }

  function applyState(frame) {
    const before = state;
    state = {
      status: frame.status,
      stage: (frame.stage || []).map(Number),
      hands: (frame.hands || []).map(Number),
      audience: Number(frame.audience) || 0,
      stage_limit: Number(frame.stage_limit) || 6,
      version: Number(frame.version) || 0,
      media: frame.media === "sfu" ? "sfu" : "mesh",
      viewers: Array.isArray(frame.viewers) ? frame.viewers.map(Number) : null,
      devices: frame.devices && typeof frame.devices === "object" ? frame.devices : {},
    };
    ui.root.dataset.status = state.status;
    ui.root.dataset.media = state.media;
    ui.lobby.hidden = state.status !== "scheduled";
    ui.live.hidden = state.status !== "live";
    ui.ended.hidden = state.status !== "ended";
    ui.cancelled.hidden = state.status !== "cancelled";
    if (socket && iceServers !== null) setStatus("connected", statusText());
    renderLists();
    renderGrid();
    syncStage();
    renderControls();
    announceChanges(before, state);
  }

  // What someone on stage sends, as they reported it; someone not listed counts as mic and camera on.
  function devicesOf(id) {
    const flags = state.devices[String(id)] || {};
    return { mic: flags.mic !== false, camera: flags.camera !== false, screen: flags.screen === true };
  }

  function personItem(id, extra) {
    const item = el("li", "session-person");
    item.dataset.user = String(id);
    const name = el("span", "session-person-name", id === me.id ? t("you", { name: nameOf(id) }) : nameOf(id));
    item.append(name);
    if (id === config.coach) item.append(" ", el("span", "badge", t("coach")));
    if (extra) item.append(" ", extra);
    return item;
  }

  function renderLists() {
    const full = state.stage.length >= state.stage_limit;
    ui.stageCount.textContent = live() ? `(${t("stage_count", { count: state.stage.length, limit: state.stage_limit })})` : "";
    ui.stageList.replaceChildren(
      ...state.stage.map((id) => {
        if (!config.isCoach || id === me.id) return personItem(id, null);
        const buttons = el("span", "session-person-actions");
        if (devicesOf(id).mic) {
          // A request the member's client obeys (docs/protocol.md): hidden once their microphone is off.
          const mute = el("button", "link session-mute", t("mute_member"));
          mute.type = "button";
          mute.setAttribute("aria-label", t("mute_person", { name: nameOf(id) }));
          mute.addEventListener("click", () => send({ type: "stage.mute", user: id }));
          buttons.append(mute, " ");
        }
        const button = el("button", "link session-remove", t("remove"));
        button.type = "button";
        button.setAttribute("aria-label", t("remove_person", { name: nameOf(id) }));
        button.addEventListener("click", () => send({ type: "stage.remove", user: id }));
        buttons.append(button);
        return personItem(id, buttons);
      }),
    );
    if (!state.stage.length) ui.stageList.append(el("li", "muted", t("stage_empty")));
    ui.handList.replaceChildren(
      ...state.hands.map((id) => {
        let button = null;
        if (config.isCoach) {
          button = el("button", "secondary session-invite", t("invite"));
          button.type = "button";
          button.setAttribute("aria-label", t("invite_person", { name: nameOf(id) }));
          button.disabled = full;
          if (full) button.title = t("stage_full");
          button.addEventListener("click", () => send({ type: "stage.invite", user: id }));
        }
        return personItem(id, button);
      }),
    );
    if (!state.hands.length) ui.handList.append(el("li", "muted", t("hands_empty")));
    if (ui.lowerAll) ui.lowerAll.hidden = !live() || !state.hands.length;
    ui.stageSection.hidden = !live();
    ui.handSection.hidden = !live();
    // Before the start everyone in the room is waiting; afterwards nobody is counted any more.
    const count = state.audience;
    const prefix = live() ? "audience" : "waiting";
    ui.audience.hidden = state.status === "ended" || state.status === "cancelled";
    ui.audience.textContent =
      count === 0 ? t(`${prefix}_none`) : count === 1 ? t(`${prefix}_one`) : t(`${prefix}_many`, { count });
  }

  function renderControls() {
    const here = live();
    const up = state.hands.includes(me.id);
    const staged = onStage();
    ui.raise.hidden = !here || staged || up;
    ui.lower.hidden = !here || !up;
    ui.leave.hidden = !staged;
    const hasAudio = Boolean(localStream && localStream.getAudioTracks().length);
    const hasVideo = Boolean(localStream && localStream.getVideoTracks().length);
    ui.mic.hidden = !staged || !hasAudio;
    ui.camera.hidden = !staged || !hasVideo;
    ui.mic.textContent = micOn ? t("mic_on") : t("mic_off");
    ui.camera.textContent = cameraOn ? t("camera_on") : t("camera_off");
    ui.mic.classList.toggle("is-off", !micOn);
    ui.camera.classList.toggle("is-off", !cameraOn);
    const canShare = Boolean(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    ui.screen.hidden = !staged || !hasVideo || !canShare;
    ui.screen.textContent = screenStream ? t("screen_off") : t("screen_on");
    ui.screen.setAttribute("aria-pressed", screenStream ? "true" : "false");
    ui.audienceNote.hidden = staged;
    // In a mesh only the first few of the audience receive the stage; the others are told why not.
    ui.meshNote.hidden = !here || !mesh() || staged || isViewer();
    ui.mediaDown.hidden = !here || state.media !== "sfu" || sfuAvailable !== false;
    if (ui.muteAll) ui.muteAll.hidden = !here;
  }

  // One tile per person on stage, in stage order; video only where this page has a stream for it.
  const tiles = new Map(); // user id -> {item, video, status, flags}
  // Static icons (no user data): a microphone and a camera, struck through.
  const ICONS = {
    mic: '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3M4 4l16 16"/></svg>',
    camera: '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="3" y="7" width="12" height="10" rx="2"/><path d="M15 11l6-3v8l-6-3M3 3l18 18"/></svg>',
    screen: '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/></svg>',
  };

  function tileFor(id) {
    let tile = tiles.get(id);
    if (tile) return tile;
    const item = el("li", "stage-tile");
    item.dataset.user = String(id);
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    if (id === me.id) {
      video.muted = true; // never hear yourself
      item.classList.add("is-me");
    }
    const initial = el("span", "stage-initial", nameOf(id).trim().charAt(0).toUpperCase());
    initial.setAttribute("aria-hidden", "true");
    const label = el("span", "stage-name", id === me.id ? t("you", { name: nameOf(id) }) : nameOf(id));
    const status = el("span", "stage-status");
    status.setAttribute("aria-live", "polite");
    const flags = el("span", "stage-flags");
    item.append(initial, video, label, status, flags);
    tile = { item, video, status, flags };
    tiles.set(id, tile);
    return tile;
  }

  function flag(kind, key) {
    const node = el("span", `stage-flag stage-flag-${kind}`);
    node.dataset.flag = kind;
    const icon = el("span", "stage-flag-icon");
    icon.setAttribute("aria-hidden", "true");
    icon.innerHTML = ICONS[kind];
    node.append(icon, el("span", "stage-flag-text", t(key)));
    return node;
  }

  // The microphone, camera and screen of each person on stage, as everyone sees them (from `devices`).
  function renderFlags(id, tile) {
    const devices = devicesOf(id);
    const wanted = [];
    if (!devices.mic) wanted.push(["mic", "flag_mic_off"]);
    if (!devices.camera && !devices.screen) wanted.push(["camera", "flag_camera_off"]);
    if (devices.screen) wanted.push(["screen", "flag_screen"]);
    const now = wanted.map(([kind]) => kind).join(" ");
    if (tile.flags.dataset.shown !== now) {
      tile.flags.dataset.shown = now;
      tile.flags.replaceChildren(...wanted.map(([kind, key]) => flag(kind, key)));
    }
    tile.item.classList.toggle("mic-off", !devices.mic);
    tile.item.classList.toggle("camera-off", !devices.camera && !devices.screen);
    tile.item.classList.toggle("is-screen", devices.screen);
  }

  function show(tile, stream) {
    if (tile.video.srcObject !== stream) tile.video.srcObject = stream;
    tile.item.classList.toggle("has-video", Boolean(stream));
    if (stream) play(tile.video);
  }

  function play(video) {
    const started = video.play();
    if (started && typeof started.catch === "function") {
      started.catch((error) => {
        // Autoplay with sound can be refused until the person interacts with the page: the picture
        // starts at once without sound, and a button brings the sound back.
        if (!error || error.name !== "NotAllowedError" || video.muted) return;
        video.muted = true;
        video.dataset.silenced = "true";
        ui.play.hidden = false;
        video.play().catch(() => {});
      });
    }
  }

  ui.play.addEventListener("click", () => {
    ui.play.hidden = true;
    for (const tile of tiles.values()) {
      if (tile.video.dataset.silenced) {
        tile.video.muted = false;
        delete tile.video.dataset.silenced;
      }
      if (tile.video.srcObject) play(tile.video);
    }
  });

  // The stream shown for someone on stage: one's own camera (or shared screen), or what this page receives.
  function streamOf(id) {
    if (id === me.id) return screenStream || localStream;
    const sub = sfu.subs.get(id);
    if (sub) return sub.stream;
    const peer = peers.get(id);
    return peer ? peer.stream : null;
  }

  function renderGrid() {
    const ids = live() ? state.stage : [];
    for (const [id, tile] of tiles) {
      if (!ids.includes(id)) {
        tile.video.srcObject = null;
        tile.item.remove();
        tiles.delete(id);
      }
    }
    ui.grid.replaceChildren(...ids.map((id) => tileFor(id).item));
    ui.grid.hidden = ids.length === 0;
    ui.grid.dataset.count = String(ids.length);
    for (const [id, tile] of tiles) {
      show(tile, streamOf(id));
      renderFlags(id, tile);
    }
  }

  // ---------------------------------------------------------------- camera and microphone
  function syncStage() {
    const now = onStage() ? "stage" : isViewer() ? "viewer" : "none";
    if (now !== role) {
      // Coming up, stepping down, or becoming a viewer: each mesh connection is made for one role.
      role = now;
      closeAllPeers();
    }
    if (!onStage()) {
      stopMedia();
      hideMediaProblem();
    } else if (media === "none") {
      startMedia();
    }
    syncPeers();
    syncSfu();
  }

  async function startMedia() {
    media = "pending";
    const generation = ++mediaGeneration;
    showNotice(t("media_starting"), { sticky: true });
    const { stream, note } = await acquire();
    if (generation !== mediaGeneration || !onStage()) {
      // Taken off the stage while the browser was asking: let go of the devices at once.
      if (stream) stream.getTracks().forEach((track) => track.stop());
      return;
    }
    showNotice(note ? t(note) : "");
    localStream = stream;
    media = stream ? "ready" : "failed";
    micOn = true;
    cameraOn = true;
    if (stream) hideMediaProblem();
    renderGrid();
    renderControls();
    for (const peer of peers.values()) sendTracks(peer);
    syncPeers();
    syncSfu();
    reportDevices();
  }

  async function acquire() {
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      showMediaProblem("media_insecure");
      return { stream: null };
    }
    try {
      return { stream: await navigator.mediaDevices.getUserMedia({ audio: true, video: VIDEO }) };
    } catch (error) {
      const name = error && error.name;
      if (name === "NotFoundError" || name === "OverconstrainedError") {
        // One of the two may still be there: a laptop without a camera, a desktop without a microphone.
        for (const [constraints, note] of [
          [{ audio: true }, "media_audio_only"],
          [{ video: VIDEO }, "media_video_only"],
        ]) {
          try {
            return { stream: await navigator.mediaDevices.getUserMedia(constraints), note };
          } catch (_) {
            // try the other one
          }
        }
        showMediaProblem("media_missing");
      } else if (name === "NotAllowedError" || name === "SecurityError") {
        showMediaProblem("media_blocked");
      } else if (name === "NotReadableError" || name === "AbortError") {
        showMediaProblem("media_busy");
      } else {
        showMediaProblem("media_failed");
      }
      return { stream: null };
    }
  }

  function showMediaProblem(key) {
    ui.mediaText.textContent = t(key);
    ui.mediaProblem.dataset.problem = key;
    ui.mediaProblem.hidden = false;
  }

  function hideMediaProblem() {
    ui.mediaProblem.hidden = true;
    delete ui.mediaProblem.dataset.problem;
  }

  ui.mediaRetry.addEventListener("click", () => {
    if (!onStage() || media === "pending") return;
    hideMediaProblem();
    if (localStream) localStream.getTracks().forEach((track) => track.stop());
    localStream = null;
    media = "none";
    startMedia();
  });

  function stopMedia() {
    mediaGeneration += 1; // an acquisition still under way lets go of what it gets
    stopScreen({ quietly: true });
    if (localStream) localStream.getTracks().forEach((track) => track.stop());
    localStream = null;
    media = "none";
    showNotice("");
  }

  // Tell the room what this person sends (the server keeps it while they are on stage; repeats are free).
  function reportDevices() {
    if (!onStage() || media !== "ready" || !localStream) return;
    send({
      type: "media.state",
      mic: micOn && localStream.getAudioTracks().length > 0,
      camera: cameraOn && localStream.getVideoTracks().length > 0,
      screen: Boolean(screenStream),
    });
  }

  function setMic(on) {
    micOn = on;
    if (localStream) localStream.getAudioTracks().forEach((track) => (track.enabled = on));
    renderControls();
    reportDevices();
  }

  function mutedByCoach(key) {
    if (!onStage() || !localStream || !localStream.getAudioTracks().length) return;
    setMic(false);
    showNotice(t(key));
  }

  ui.mic.addEventListener("click", () => setMic(!micOn));
  ui.camera.addEventListener("click", () => {
    cameraOn = !cameraOn;
    if (localStream) localStream.getVideoTracks().forEach((track) => (track.enabled = cameraOn));
    renderControls();
    reportDevices();
  });

  // ---------------------------------------------------------------- screen sharing
  // The shared screen replaces the camera on every video sender (mesh peers and the SFU publisher), so
  // nobody renegotiates; stopping (the button, or the browser's own "Stop sharing") puts the camera back.
  function outgoingVideo() {
    if (screenStream) return screenStream.getVideoTracks()[0] || null;
    return localStream ? localStream.getVideoTracks()[0] || null : null;
  }

  function sendingConnections() {
    const list = Array.from(peers.values(), (peer) => peer.pc);
    if (sfu.pub) list.push(sfu.pub.pc);
    return list;
  }

  function swapVideo(track) {
    for (const pc of sendingConnections()) {
      for (const sender of pc.getSenders()) {
        if (sender.track && sender.track.kind === "video" && sender.track !== track) {
          sender.replaceTrack(track).catch(() => {});
        }
      }
    }
  }

  async function startScreen() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      // Cancelling the browser's picker is a choice, not a failure.
      if (error && error.name !== "NotAllowedError" && error.name !== "AbortError") showError(t("screen_failed"));
      return;
    }
    const track = stream.getVideoTracks()[0];
    if (!track || !onStage() || !localStream) {
      stream.getTracks().forEach((each) => each.stop());
      return;
    }
    screenStream = stream;
    track.addEventListener("ended", () => stopScreen());
    swapVideo(track);
    renderGrid();
    renderControls();
    reportDevices();
  }

  function stopScreen({ quietly = false } = {}) {
    if (!screenStream) return;
    const stream = screenStream;
    screenStream = null;
    stream.getTracks().forEach((track) => track.stop());
    if (quietly) return;
    const camera = outgoingVideo();
    if (camera) swapVideo(camera);
    renderGrid();
    renderControls();
    reportDevices();
  }

  ui.screen.addEventListener("click", () => {
    if (screenStream) stopScreen();
    else startScreen();
  });

  // ---------------------------------------------------------------- peer connections
  // Whom this page keeps a mesh connection with: stage ↔ stage, stage → viewers, a viewer ← the stage.
  function meshTargets() {
    if (!live() || !mesh()) return [];
    const others = state.stage.filter((id) => id !== me.id);
    if (onStage()) return localStream ? [...others, ...(state.viewers || [])] : others;
    return isViewer() ? others : [];
  }

  function syncPeers() {
    if (iceServers === null || (onStage() && media === "pending")) return;
    const targets = meshTargets();
    for (const id of targets) if (!peers.has(id)) createPeer(id, { announce: true });
    for (const id of Array.from(peers.keys())) if (!targets.includes(id)) closePeer(id);

    // Only the newest connection of each sender matters; what its earlier ones said is history.
    const newest = new Map();
    for (const [from, data] of queued) newest.set(from, data.pc);
    const waiting = queued.filter(([from, data]) => data.pc === newest.get(from));
    queued = [];
    for (const [from, data] of waiting) onSignal(from, data);
  }

  function signal(peer, data) {
    const addressed = peer.remote === null ? {} : { for: peer.remote };
    send({ type: "rtc.signal", to: peer.user, data: { pc: peer.id, ...addressed, ...data } });
  }

  function sendTracks(peer) {
    if (!localStream || !onStage()) return;
    const senders = peer.pc.getSenders();
    const video = outgoingVideo();
    for (const track of [...localStream.getAudioTracks(), ...(video ? [video] : [])]) {
      if (senders.some((sender) => sender.track === track)) continue;
      // Reuse a receive-only slot of that kind (made while there was no media) before adding a new one.
      const slot = peer.pc
        .getTransceivers()
        .find((tr) => tr.direction === "recvonly" && tr.receiver.track.kind === track.kind && !tr.sender.track);
      if (slot) {
        slot.sender.replaceTrack(track).catch(() => {});
        slot.direction = "sendrecv";
      } else {
        peer.pc.addTrack(track, localStream);
      }
    }
  }

  function createPeer(user, { announce, remote = null }) {
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    opened += 1;
    const peer = {
      user,
      id: randomId(),
      remote,
      pc,
      polite: me.id > user,
      makingOffer: false,
      ignoreOffer: false,
      negotiated: false,
      chain: Promise.resolve(),
      stream: new MediaStream(),
      since: Date.now(),
    };
    peers.set(user, peer);
    if (localStream && onStage()) sendTracks(peer);
    else if (!peer.polite) {
      // Without a camera or microphone this side still receives; the slots give it something to offer first.
      // The polite side makes none: the other side's offer brings its own, and slots of ours left beside
      // them would start a second negotiation that an impolite side busy offering ignores for good.
      pc.addTransceiver("audio", { direction: "recvonly" });
      pc.addTransceiver("video", { direction: "recvonly" });
    }
    pc.addEventListener("negotiationneeded", async () => {
      // The impolite side (the lower id) makes the first offer: a first offer of each side crossing on
      // the wire is rolled back on the polite side, and Chromium then never gathers ICE candidates.
      if (peers.get(user) !== peer || (peer.polite && !peer.negotiated)) return;
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        signal(peer, { description: pc.localDescription });
      } catch (_) {
        // A glare or a closed connection; perfect negotiation settles it with the next description.
      } finally {
        peer.makingOffer = false;
      }
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate && peers.get(user) === peer) signal(peer, { candidate: candidate.toJSON() });
    });
    pc.addEventListener("track", ({ track }) => {
      for (const old of peer.stream.getTracks()) if (old.kind === track.kind && old !== track) peer.stream.removeTrack(old);
      peer.stream.addTrack(track);
      if (tiles.has(user)) show(tiles.get(user), peer.stream);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (peers.get(user) !== peer) return;
      showPeerState(peer);
      peer.since = Date.now(); // the watchdog measures time spent in the current state
      if (pc.connectionState === "failed") pc.restartIce();
    });
    if (announce) signal(peer, { ready: true });
    showPeerState(peer);
    return peer;
  }

  function showPeerState(peer) {
    const tile = tiles.get(peer.user);
    if (!tile) return;
    const connection = peer.pc.connectionState;
    tile.item.dataset.connection = connection;
    tile.status.textContent =
      connection === "connected" ? "" : connection === "failed" ? t("peer_failed") : t("connecting_peer");
  }

  function closePeer(user) {
    const peer = peers.get(user);
    if (!peer) return;
    peers.delete(user);
    try {
      peer.pc.close();
    } catch (_) {
      // already closed
    }
    peer.stream.getTracks().forEach((track) => peer.stream.removeTrack(track));
    const tile = tiles.get(user);
    if (tile) {
      tile.video.srcObject = null;
      tile.item.classList.remove("has-video");
      delete tile.item.dataset.connection;
    }
  }

  function closeAllPeers() {
    for (const user of Array.from(peers.keys())) closePeer(user);
  }

  function restartPeer(user, { announce, remote = null }) {
    closePeer(user);
    const peer = createPeer(user, { announce, remote });
    if (tiles.has(user)) show(tiles.get(user), peer.stream);
    return peer;
  }

  function onSignal(from, data) {
    if (!data || typeof data !== "object") return;
    let peer = peers.get(from);
    if (!peer) {
      // Before our own connection exists (media still starting, or our state is a moment behind).
      if (live() && state.status !== "ended") {
        queued.push([from, data]);
        if (queued.length > QUEUE_LIMIT) queued.shift();
      }
      return;
    }
    const id = data.pc;
    if (data.for !== undefined && data.for !== peer.id) return; // meant for a connection of ours that is gone
    if (data.ready) {
      if (id === peer.remote) return;
      if (peer.remote !== null) {
        restartPeer(from, { announce: false, remote: id }); // the other end started over
        return;
      }
      peer.remote = id;
      // Our offer may have gone out before they were listening: send it again (a repeat answer is ignored).
      if (peer.pc.signalingState === "have-local-offer" && peer.pc.localDescription) {
        signal(peer, { description: peer.pc.localDescription });
      }
      return;
    }
    if (data.description) {
      if (id !== peer.remote) {
        if (data.description.type === "offer") {
          if (peer.remote !== null) peer = restartPeer(from, { announce: false, remote: id });
          else peer.remote = id;
        } else if (data.description.type === "answer" && peer.pc.signalingState === "have-local-offer") {
          peer.remote = id;
        } else {
          return; // from a connection that is gone
        }
      }
      const target = peer;
      target.chain = target.chain.then(() => takeDescription(target, data.description)).catch(() => {});
    } else if (data.candidate && id === peer.remote) {
      const target = peer;
      target.chain = target.chain.then(() => takeCandidate(target, data.candidate)).catch(() => {});
    }
  }

  async function takeDescription(peer, description) {
    const pc = peer.pc;
    if (peers.get(peer.user) !== peer) return;
    if (description.type === "answer" && pc.signalingState === "stable") return; // a repeat
    const collision = description.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    await pc.setRemoteDescription(description); // a polite collision rolls back our offer implicitly
    peer.negotiated = true;
    if (description.type === "offer") {
      await pc.setLocalDescription();
      signal(peer, { description: pc.localDescription });
    }
  }

  async function takeCandidate(peer, candidate) {
    if (peers.get(peer.user) !== peer) return;
    try {
      await peer.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!peer.ignoreOffer) throw error;
    }
  }

  // A connection that never comes up (a signal lost at a bad moment) starts over, and says so.
  setInterval(() => {
    if (!socket || role === "none") return;
    for (const peer of Array.from(peers.values())) {
      if (peer.pc.connectionState !== "connected" && Date.now() - peer.since > STUCK_AFTER) {
        restartPeer(peer.user, { announce: true });
      }
    }
  }, 5000);

  // ---------------------------------------------------------------- the SFU (media "sfu")
  // One send-only connection publishes this person's camera and microphone; one receive-only connection per
  // stage member receives them. Janus offers each subscription (sfu.offer) and this page answers.
  const sfuReady = () =>
    live() && state.media === "sfu" && sfuAvailable === true && iceServers !== null && Boolean(socket);

  function syncSfu() {
    if (!sfuReady()) return;
    if (onStage() && media === "ready" && localStream && !sfu.pub) publish();
    if (!onStage() && sfu.pub) closePub();
    const wanted = state.stage.filter((id) => id !== me.id);
    for (const id of wanted) {
      if (!sfu.subscribed.has(id)) {
        sfu.subscribed.add(id);
        send({ type: "sfu.subscribe", user: id });
      }
    }
    for (const id of Array.from(sfu.subscribed)) {
      if (!wanted.includes(id)) {
        sfu.subscribed.delete(id);
        closeSub(id);
        send({ type: "sfu.unsubscribe", user: id });
      }
    }
  }

  // Candidates wait until Janus has heard of the connection (the publish or start frame went out first).
  function trickler(user, holder) {
    return ({ candidate }) => {
      const frame = { type: "sfu.trickle", user, candidate: candidate ? candidate.toJSON() : null };
      if (holder.sent) send(frame);
      else holder.early.push(frame);
    };
  }

  function flushTrickle(holder) {
    holder.sent = true;
    for (const frame of holder.early.splice(0)) send(frame);
  }

  async function publish() {
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    opened += 1;
    const pub = { pc, sent: false, early: [] };
    sfu.pub = pub;
    pc.addEventListener("icecandidate", trickler(null, pub));
    const video = outgoingVideo();
    for (const track of [...localStream.getAudioTracks(), ...(video ? [video] : [])]) {
      pc.addTransceiver(track, { direction: "sendonly", streams: [localStream] });
    }
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } catch (_) {
      if (sfu.pub === pub) closePub();
      return;
    }
    if (sfu.pub !== pub) return;
    send({ type: "sfu.publish", jsep: { type: "offer", sdp: pc.localDescription.sdp } });
    flushTrickle(pub);
  }

  function onSfuAnswer(jsep) {
    const pub = sfu.pub;
    if (!pub || !jsep || pub.pc.signalingState !== "have-local-offer") return; // late, or a repeat
    pub.pc.setRemoteDescription(jsep).catch(() => {
      if (sfu.pub === pub) {
        closePub();
        syncSfu(); // try once more with a fresh offer
      }
    });
  }

  function closePub() {
    const pub = sfu.pub;
    sfu.pub = null;
    if (pub) pub.pc.close();
  }

  async function onSfuOffer(user, jsep) {
    if (!sfu.subscribed.has(user) || !jsep) return;
    closeSub(user); // a fresh publication of theirs replaces the old one
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    opened += 1;
    const sub = { user, pc, stream: new MediaStream(), sent: false, early: [] };
    sfu.subs.set(user, sub);
    pc.addEventListener("icecandidate", trickler(user, sub));
    pc.addEventListener("track", ({ track }) => {
      for (const old of sub.stream.getTracks()) if (old.kind === track.kind) sub.stream.removeTrack(old);
      sub.stream.addTrack(track);
      if (tiles.has(user) && sfu.subs.get(user) === sub) show(tiles.get(user), sub.stream);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (sfu.subs.get(user) !== sub || !tiles.has(user)) return;
      const tile = tiles.get(user);
      tile.item.dataset.connection = pc.connectionState;
      tile.status.textContent =
        pc.connectionState === "connected" ? "" : pc.connectionState === "failed" ? t("peer_failed") : t("connecting_peer");
    });
    try {
      await pc.setRemoteDescription(jsep);
      await pc.setLocalDescription(await pc.createAnswer());
    } catch (_) {
      if (sfu.subs.get(user) === sub) closeSub(user);
      return;
    }
    if (sfu.subs.get(user) !== sub) return;
    send({ type: "sfu.start", user, jsep: { type: "answer", sdp: pc.localDescription.sdp } });
    flushTrickle(sub);
    if (tiles.has(user)) show(tiles.get(user), sub.stream);
  }

  function closeSub(user) {
    const sub = sfu.subs.get(user);
    if (!sub) return;
    sfu.subs.delete(user);
    sub.pc.close();
    sub.stream.getTracks().forEach((track) => sub.stream.removeTrack(track));
    const tile = tiles.get(user);
    if (tile) {
      tile.video.srcObject = null;
      tile.item.classList.remove("has-video");
      delete tile.item.dataset.connection;
      tile.status.textContent = "";
    }
  }

  // Everything Janus held for this page is gone (the server lost it, or this socket closed).
  function closeSfu() {
    closePub();
    for (const user of Array.from(sfu.subs.keys())) closeSub(user);
    sfu.subscribed.clear();
  }

  // ---------------------------------------------------------------- the active speaker
  // A few times a second, the loudest voice above a threshold lights its tile; it stays lit a moment after,
  // so the highlight does not flicker between words. A voice's level is its RMS over the last interval,
  // from the audio energy counters of the WebRTC stats: a single sample (audioLevel) can fall between
  // words, and a page the browser throttles samples too rarely for that.
  // Linear (0 to 1): 0.01 is about -40 dBov, above room noise, below any speaking voice.
  const SPEAKING = 0.01;
  const HOLD = 1200;
  let speaker = null;
  let speakerSince = 0;
  let lastLevels = new Map(); // user id -> level, as the highlight last saw them
  const energy = new Map(); // stats id -> [totalAudioEnergy, totalSamplesDuration] at the last look

  function levelSince(key, report) {
    const before = energy.get(key);
    const now = [report.totalAudioEnergy || 0, report.totalSamplesDuration || 0];
    energy.set(key, now);
    if (!before) return 0;
    const seconds = now[1] - before[1];
    return seconds > 0 ? Math.sqrt(Math.max(0, now[0] - before[0]) / seconds) : 0;
  }

  async function measureLevels() {
    const levels = new Map();
    const keep = (user, level) => levels.set(user, Math.max(levels.get(user) || 0, level));
    const receiving = Array.from(peers.values(), (peer) => [peer.user, peer.pc]);
    for (const sub of sfu.subs.values()) receiving.push([sub.user, sub.pc]);
    const own = onStage() && micOn ? sendingConnections()[0] : null;
    await Promise.all([
      ...receiving.map(async ([user, pc]) => {
        (await pc.getStats()).forEach((report) => {
          if (report.type === "inbound-rtp" && report.kind === "audio") keep(user, levelSince(`in ${user} ${report.id}`, report));
        });
      }),
      (async () => {
        if (!own) return;
        (await own.getStats()).forEach((report) => {
          if (report.type === "media-source" && report.kind === "audio") keep(me.id, levelSince("own", report));
        });
      })(),
    ]);
    return levels;
  }

  let measuring = false;
  setInterval(async () => {
    if (!live() || !tiles.size || measuring) return;
    measuring = true;
    try {
      lastLevels = await measureLevels();
    } catch (_) {
      return; // a connection closed while its stats were read; the next round sees the new set
    } finally {
      measuring = false;
    }
    let loudest = null;
    let best = SPEAKING;
    for (const [user, level] of lastLevels) {
      if (tiles.has(user) && level > best) [loudest, best] = [user, level];
    }
    const now = Date.now();
    if (loudest !== null) [speaker, speakerSince] = [loudest, now];
    else if (now - speakerSince > HOLD) speaker = null;
    for (const [user, tile] of tiles) tile.item.classList.toggle("is-speaking", user === speaker);
  }, 250);

  // ---------------------------------------------------------------- controls
  if (ui.start) ui.start.addEventListener("click", () => send({ type: "session.start" }));
  ui.raise.addEventListener("click", () => send({ type: "hand.raise" }));
  ui.lower.addEventListener("click", () => send({ type: "hand.lower" }));
  ui.leave.addEventListener("click", () => send({ type: "stage.leave" }));
  if (ui.muteAll) ui.muteAll.addEventListener("click", () => send({ type: "session.mute_all" }));
  if (ui.lowerAll) ui.lowerAll.addEventListener("click", () => send({ type: "hands.lower_all" }));
  if (ui.end) {
    ui.end.addEventListener("click", () => {
      if (window.confirm(t("confirm_end"))) send({ type: "session.end" });
    });
  }

  window.addEventListener("pagehide", () => {
    closeAllPeers();
    closeSfu();
    stopMedia();
  });
  window.addEventListener("online", () => {
    attempt = 0;
    if (!socket) connect();
  });

  applyState(state);
  connect();

  // A small read-only window for the person debugging a call, and for browser tests.
  window.circlesSession = Object.freeze({
    get state() {
      return JSON.parse(JSON.stringify(state));
    },
    get peers() {
      return Array.from(peers.values(), (peer) => ({
        user: peer.user,
        polite: peer.polite,
        connectionState: peer.pc.connectionState,
        signalingState: peer.pc.signalingState,
      }));
    },
    get peerConnectionsOpened() {
      return opened;
    },
    get media() {
      return media;
    },
    get sharing() {
      return Boolean(screenStream);
    },
    get sfu() {
      return {
        available: sfuAvailable,
        publishing: sfu.pub ? sfu.pub.pc.connectionState : null,
        receiving: Array.from(sfu.subs.values(), (sub) => [sub.user, sub.pc.connectionState]),
      };
    },
    // The labels of the video tracks this page sends (a camera, or a shared screen), one per connection.
    get sentVideo() {
      return sendingConnections().flatMap((pc) =>
        pc.getSenders().filter((sender) => sender.track && sender.track.kind === "video").map((s) => s.track.label),
      );
    },
    get socket() {
      return socket;
    },
    // The audio level heard from each person right now (0 to 1), as the speaker highlight sees it.
    get levels() {
      return Object.fromEntries(lastLevels);
    },
    async inboundBytes(user, kind = "video") {
      const peer = sfu.subs.get(user) || peers.get(user);
      if (!peer) return 0;
      let bytes = 0;
      (await peer.pc.getStats()).forEach((report) => {
        if (report.type === "inbound-rtp" && report.kind === kind) bytes += report.bytesReceived || 0;
      });
      return bytes;
    },
  });
})();
