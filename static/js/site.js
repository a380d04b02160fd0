// Behaviour every page may use, declared in the HTML with data-* attributes instead of inline handlers
// (the Content-Security-Policy runs no inline script). Listeners sit on the document, so markup that htmx
// swaps in later behaves the same.
"use strict";

// <select data-submit-on-change>: choosing an option sends its form (the language switcher).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-submit-on-change]");
  if (select && select.form) select.form.submit();
});

// <form data-disable-on-submit>: its button is disabled once sent, so a second click sends nothing twice.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-disable-on-submit]");
  if (!form) return;
  // After this turn: a button disabled during the submit event would leave its name/value out of the post.
  setTimeout(() => form.querySelectorAll("button").forEach((button) => { button.disabled = true; }));
});

// <input data-select-on-focus>: focusing a read-only link selects it, ready to copy.
document.addEventListener("focusin", (event) => {
  const input = event.target.closest("input[data-select-on-focus]");
  if (input) input.select();
});

// <button data-copy="id" data-done="Copied">: copies the value of the element with that id.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.value).then(() => {
    if (button.dataset.done) button.textContent = button.dataset.done;
  });
});

// [data-checkbox-filter]: a long list of checkboxes with a search box (shown only when scripts run) that hides
// the items whose label lacks what is typed, accents and case ignored; checked items always stay in view.
const foldText = (text) => text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
const showCheckboxFilters = () => {
  document.querySelectorAll("[data-checkbox-filter] .checkbox-filter").forEach((box) => { box.hidden = false; });
};
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showCheckboxFilters);
else showCheckboxFilters();
document.addEventListener("input", (event) => {
  const box = event.target.closest("[data-checkbox-filter] input[type=search]");
  if (!box) return;
  const picker = box.closest("[data-checkbox-filter]");
  const wanted = foldText(box.value.trim());
  let shown = 0;
  picker.querySelectorAll(".checkbox-list li").forEach((item) => {
    const keep = !wanted || item.querySelector("input").checked || foldText(item.textContent).includes(wanted);
    item.hidden = !keep;
    if (keep) shown += 1;
  });
  picker.querySelector("[data-filter-empty]").hidden = shown > 0;
});
// Enter in the search box narrows the list; it must not send the whole form.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.closest("[data-checkbox-filter] input[type=search]")) event.preventDefault();
});
// A form sent back with errors: its first field in error gets the focus (and so scrolls into view), unless
// the page already put the focus somewhere (autofocus), so the person sees what to fix without hunting.
function focusFirstError() {
  if (document.activeElement && document.activeElement !== document.body) return;
  const field = document.querySelector(
    ".has-error input:not([type=hidden]), .has-error select, .has-error textarea, [aria-invalid=true]"
  );
  if (!field) return;
  const details = field.closest("details");
  if (details) details.open = true;
  field.focus();
  field.scrollIntoView({ block: "center" });
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFirstError);
else focusFirstError();
