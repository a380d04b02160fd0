// The bell: a signed-in page keeps one socket to /ws/me/ and shows the unread count it is sent
// ({"type": "notifications", "unread": n}); it reconnects with backoff when the socket drops.
(function () {
  "use strict";
  const bell = document.querySelector("[data-bell-count]");
  if (!bell || !window.WebSocket) return;
  const unreadWord = bell.dataset.unreadWord || "unread:";
  let delay = 1000;

  function show(count) {
    bell.textContent = "";
    bell.classList.toggle("is-empty", count === 0);
    if (count > 0) {
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = unreadWord + " ";
      bell.append(hidden, String(count));
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + location.host + "/ws/me/");
    socket.addEventListener("open", function () { delay = 1000; });
    socket.addEventListener("message", function (event) {
      let frame;
      try { frame = JSON.parse(event.data); } catch (error) { return; }
      if (frame.type === "notifications" && Number.isInteger(frame.unread)) show(frame.unread);
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 4401) return;  // signed out: nothing to show
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  // Browsers open one WebSocket to a host at a time (RFC 6455, 4.1): on a page with a chat or a session,
  // whose socket the person is waiting for, the bell connects once that one has opened (or failed).
  if (document.getElementById("chat-config") || document.getElementById("session-config")) {
    document.addEventListener("circles:socket-settled", connect, { once: true });
  } else {
    connect();
  }
})();
