// Choose the time zone this device is set to, so nobody has to find their city in the list.
document.getElementById("use-device-zone").addEventListener("click", () => {
  const select = document.getElementById("id_timezone");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  if (![...select.options].some((option) => option.value === zone)) {
    // An older name for a listed zone (Asia/Calcutta): the server knows it, so offer it as it is.
    select.add(new Option(zone, zone));
  }
  select.value = zone;
  select.dispatchEvent(new Event("change", { bubbles: true }));
});
