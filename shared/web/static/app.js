// Copy buttons: <button data-copy="ID"> copies the text of element ID.
// Everything else on the site works without this script.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el || !navigator.clipboard) return;
  navigator.clipboard.writeText(el.textContent.trim()).then(function () {
    var label = b.textContent;
    b.textContent = "Copied";
    setTimeout(function () { b.textContent = label; }, 1500);
  });
});
document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
