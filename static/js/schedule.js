// Scheduling a session: a suggested slot fills the date and time; the coach still names and confirms it.
// Delegated from the document, so the slots htmx swaps in when the duration changes work too.
"use strict";

document.addEventListener("click", (event) => {
  const pick = event.target.closest(".slot-pick");
  if (!pick) return;
  document.getElementById("id_date").value = pick.dataset.date;
  document.getElementById("id_time").value = pick.dataset.time;
  document.querySelectorAll(".slot-pick").forEach((b) => b.setAttribute("aria-pressed", String(b === pick)));
  document.getElementById("id_title").focus();
});
