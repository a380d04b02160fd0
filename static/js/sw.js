// Circles' service worker, served at /sw.js so its scope is the whole site. It only shows pushes
// ({"title", "body", "url", "tag"}) and opens their link when one is clicked; it caches nothing.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function pathOf(url) {
  // Compared without the hash: "/circles/3/#message-41" is the conversation the tab at "/circles/3/" shows.
  return new URL(url, self.location.origin).pathname;
}

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { body: event.data.text() }; }
  const url = data.url || "/";
  event.waitUntil((async () => {
    // Someone already looking at this conversation needs no notification about it: the page shows the
    // message live (and marks it read). Every window counts, including ones opened before this worker
    // controlled them. Showing nothing is allowed here because a tab of the site is visible: browsers
    // only insist on a notification for pushes that arrive while the site is out of sight.
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const watching = windows.some((client) =>
      (client.focused || client.visibilityState === "visible") && pathOf(client.url) === pathOf(url));
    if (watching) return;
    await self.registration.showNotification(data.title || "Circles", {
      body: data.body || "",
      tag: data.tag || undefined,
      renotify: Boolean(data.tag), // a newer message in the same conversation still rings
      data: { url },
    });
  })());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => pathOf(client.url) === url.pathname);
    if (open) {
      await open.focus();
      if (open.url !== url.href && "navigate" in open) await open.navigate(url.href).catch(() => null);
      return;
    }
    await self.clients.openWindow(url.href);
  })());
});
