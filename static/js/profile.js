// Fill the time zone field from the device, so nobody has to know their IANA zone name.
document.getElementById("use-device-zone").addEventListener("click", () => {
  document.getElementById("id_timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone;
});
