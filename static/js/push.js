// The profile's "Notifications on your devices": register the service worker (/sw.js), subscribe this
// browser with the site's VAPID public key and store the subscription; removing this device's row also
// unsubscribes the browser. Every outcome (unsupported, blocked, failed, on) is said in #push-status.
(function () {
  "use strict";
  const section = document.getElementById("push-devices");
  if (!section || !section.dataset.pushKey) return;
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  const text = section.dataset;

  function say(message) { status.textContent = message; }

  function csrfToken() {
    const field = section.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const cookie = document.cookie.split(/;\s*/).find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  // The VAPID public key is base64url; pushManager.subscribe wants its bytes.
  function keyBytes(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }

  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) {
    say(text.textUnsupported);
    return;
  }
  if (Notification.permission === "denied") {
    say(text.textDenied);
    button.hidden = false;
    button.disabled = true;
    return;
  }

  function rowOf(endpoint) {
    return Array.from(document.querySelectorAll("#push-device-list li")).find((li) => li.dataset.endpoint === endpoint);
  }

  async function current() {
    const registration = await navigator.serviceWorker.register(text.workerUrl, { scope: "/" });
    await navigator.serviceWorker.ready;
    return { registration, subscription: await registration.pushManager.getSubscription() };
  }

  async function store(subscription) {
    const response = await fetch(text.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(subscription),
    });
    if (!response.ok) {
      let message = text.textFailed;
      try { message = (await response.json()).error || message; } catch (error) { /* keep the general message */ }
      throw new Error(message);
    }
  }

  async function enable() {
    button.disabled = true;
    say(text.textWorking);
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say(text.textDenied);
        return;
      }
      const { registration, subscription } = await current();
      const active = subscription || await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(text.pushKey),
      });
      await store(active);
      location.reload(); // the list now has this device; the reloaded page says notifications are on
    } catch (error) {
      say(error && error.message && !(error instanceof DOMException) ? error.message : text.textFailed);
      button.disabled = false;
    }
  }

  button.addEventListener("click", enable);

  // This device in the list: mark it, and have its Remove also unsubscribe the browser.
  current().then(({ subscription }) => {
    const row = subscription && rowOf(subscription.endpoint);
    if (row) {
      const mark = document.createElement("span");
      mark.className = "push-this-device";
      mark.textContent = " " + text.textThisDevice;
      row.querySelector(".push-device-label").after(mark);
      row.querySelector("form").addEventListener("submit", function (event) {
        event.preventDefault();
        const form = this;
        subscription.unsubscribe().catch(() => null).then(() => form.submit());
      });
      say(text.textOn);
    } else {
      button.hidden = false;
    }
  }).catch(() => { button.hidden = false; });
})();
